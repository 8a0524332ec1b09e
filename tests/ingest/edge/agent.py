"""A small MTConnect agent for the tests: a real HTTP server (stdlib) answering /probe, /current and
/sample from a sequence-numbered buffer, which can be restarted with a new instanceId."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

NS = "urn:mtconnect.org:MTConnectStreams:1.3"
DEVICE = "Lathe1"
# id, element in Streams, category, type, subType
DATA_ITEMS = [
    ("Xspeed", "RotaryVelocity", "SAMPLE", "ROTARY_VELOCITY", "ACTUAL"),
    ("Stemp", "Temperature", "SAMPLE", "TEMPERATURE", None),
    ("exec", "Execution", "EVENT", "EXECUTION", None),
    ("pc", "PartCount", "EVENT", "PART_COUNT", None),
    ("sys", "System", "CONDITION", "SYSTEM", None),
    ("avail", "Availability", "EVENT", "AVAILABILITY", None),
]
INITIAL = {
    "Xspeed": "UNAVAILABLE",
    "Stemp": "68",
    "exec": "READY",
    "pc": "0",
    "sys": "Normal",
    "avail": "AVAILABLE",
}


@dataclass(frozen=True)
class Obs:
    sequence: int
    item: str
    ts: datetime
    value: str


def _stamp(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Agent:
    def __init__(
        self,
        buffer_size: int = 100_000,
        data_items: list[tuple[str, str, str, str, str | None]] = DATA_ITEMS,
        initial: dict[str, str] = INITIAL,
    ) -> None:
        self.buffer_size, self.data_items, self.initial = buffer_size, data_items, initial
        self.element = {i[0]: i[1] for i in data_items}
        self.category = {i[0]: i[2] for i in data_items}
        self.lock = threading.RLock()
        self.clock = datetime.now(UTC) - timedelta(minutes=10)
        self.instance = 0
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self._new_instance()

    def _new_instance(self) -> None:
        self.instance += 1
        self.instance_id = str(1_700_000_000 + self.instance)
        self.buffer: list[Obs] = []
        self.next_seq = 1
        # A starting agent reports every data item once.
        self.add(self.initial)

    def add(self, values: dict[str, str]) -> list[Obs]:
        """One observation per data item, all at the same (advancing) time."""
        with self.lock:
            self.clock += timedelta(milliseconds=10)
            made = []
            for item, value in values.items():
                made.append(Obs(self.next_seq, item, self.clock, value))
                self.next_seq += 1
            self.buffer = (self.buffer + made)[-self.buffer_size :]
            return made

    # ---- documents ----
    def _header(self) -> str:
        first = self.buffer[0].sequence if self.buffer else self.next_seq
        return (
            f'<Header creationTime="{_stamp(datetime.now(UTC))}" sender="test" '
            f'instanceId="{self.instance_id}" '
            f'version="1.3.0" bufferSize="{self.buffer_size}" firstSequence="{first}" '
            f'lastSequence="{self.next_seq - 1}" nextSequence="{{next}}"/>'
        )

    def _streams(self, observations: list[Obs], next_seq: int) -> bytes:
        samples, events, conditions = [], [], []
        for o in observations:
            attrs = f'dataItemId="{o.item}" timestamp="{_stamp(o.ts)}" sequence="{o.sequence}"'
            if self.category[o.item] == "CONDITION":
                conditions.append(f'<{o.value} {attrs} type="SYSTEM"/>')
            elif self.category[o.item] == "SAMPLE":
                samples.append(f"<{self.element[o.item]} {attrs}>{o.value}</{self.element[o.item]}>")
            else:
                events.append(f"<{self.element[o.item]} {attrs}>{o.value}</{self.element[o.item]}>")
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><MTConnectStreams xmlns="{NS}">'
            + self._header().replace("{next}", str(next_seq))
            + f'<Streams><DeviceStream name="{DEVICE}" uuid="lathe-1">'
            '<ComponentStream component="Controller" name="controller" componentId="c1">'
            f"<Samples>{''.join(samples)}</Samples><Events>{''.join(events)}"
            f"</Events><Condition>{''.join(conditions)}</Condition></ComponentStream></DeviceStream></Streams>"
            "</MTConnectStreams>"
        )
        return body.encode()

    def probe(self) -> bytes:
        items = "".join(
            f'<DataItem id="{i}" category="{c}" type="{t}"' + (f' subType="{s}"' if s else "") + "/>"
            for i, _, c, t, s in self.data_items
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<MTConnectDevices xmlns="urn:mtconnect.org:MTConnectDevices:1.3">'
            f'<Header instanceId="{self.instance_id}"/><Devices>'
            f'<Device id="d1" name="{DEVICE}" uuid="lathe-1">'
            f"<DataItems>{items}</DataItems></Device></Devices></MTConnectDevices>"
        ).encode()

    def current(self) -> bytes:
        with self.lock:
            latest: dict[str, Obs] = {}
            for o in self.buffer:
                latest[o.item] = o
            return self._streams(sorted(latest.values(), key=lambda o: o.sequence), self.next_seq)

    def sample(self, start: int, count: int) -> tuple[int, bytes]:
        with self.lock:
            first = self.buffer[0].sequence if self.buffer else self.next_seq
            if start < first or start > self.next_seq:
                error = (
                    f'<?xml version="1.0"?><MTConnectError xmlns="urn:mtconnect.org:MTConnectError:1.3">'
                    f"{self._header().replace('{next}', str(self.next_seq))}"
                    '<Errors><Error errorCode="OUT_OF_RANGE">'
                    f"from {start} is outside {first}-{self.next_seq}</Error></Errors></MTConnectError>"
                )
                return 404, error.encode()
            chosen = [o for o in self.buffer if o.sequence >= start][:count]
            next_seq = chosen[-1].sequence + 1 if chosen else start
            return 200, self._streams(chosen, next_seq)

    # ---- server ----
    def start(self, port: int = 0) -> Agent:
        agent = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                request = url.path.rstrip("/").rsplit("/", 1)[-1]
                status, body = 200, b""
                if request == "probe":
                    body = agent.probe()
                elif request == "current":
                    body = agent.current()
                elif request == "sample":
                    status, body = agent.sample(int(query["from"][0]), int(query.get("count", ["100"])[0]))
                else:
                    status, body = 404, b"<unknown/>"
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def restart(self, down_s: float = 1.0) -> None:
        """Stop, lose the buffer, come back on the same port as a new instance."""
        port = self.port
        self.stop()
        time.sleep(down_s)
        with self.lock:
            self._new_instance()
        self.start(port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
