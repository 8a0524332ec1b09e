"""MTConnect agent polling: ``/current`` once, then ``/sample?from=<next>&count=<n>``.

The agent numbers observations with a sequence inside one ``instanceId`` (one run of the agent). The
connector's cursor ``{instance_id, next}`` rides with the staged batches (see ``pipeline``), so a restart of
the gateway asks for exactly the next observation. A new ``instanceId`` means the agent restarted with a
new buffer: everything that buffer holds is read, from its ``firstSequence``. A cursor older than the
buffer (the gateway was away longer than the agent keeps data) is a gap that is logged, never hidden.
"""

from __future__ import annotations

import logging
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from ingest.edge.gwconfig import MtConnect
from ingest.edge.metrics import Metrics
from ingest.edge.pipeline import Binding, Channel, Sample

log = logging.getLogger("smartmfg_edge.mtconnect")
# Condition observations are elements named by their level; their value is the level.
CONDITION_LEVELS = {"Normal": "normal", "Warning": "warning", "Fault": "fault"}


class AgentError(Exception):
    """The agent answered with an MTConnectError document or an unexpected status."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass(frozen=True)
class Header:
    instance_id: str
    first: int
    next: int
    last: int


@dataclass(frozen=True)
class Observation:
    data_item_id: str
    sequence: int
    ts: datetime
    value: str


def parse_streams(xml: bytes) -> tuple[Header, list[Observation]]:
    root = ET.fromstring(xml)
    if _local(root.tag) == "MTConnectError":
        errors = [e for e in root.iter() if _local(e.tag) == "Error"]
        first = errors[0] if errors else root
        raise AgentError(first.get("errorCode", "ERROR"), (first.text or "").strip())
    head = next(e for e in root.iter() if _local(e.tag) == "Header")
    header = Header(
        head.get("instanceId", ""),
        int(head.get("firstSequence", "0")),
        int(head.get("nextSequence", "0")),
        int(head.get("lastSequence", "0")),
    )
    observations = []
    for element in root.iter():
        sequence, item_id = element.get("sequence"), element.get("dataItemId")
        if sequence is None or item_id is None:
            continue
        tag = _local(element.tag)
        value = CONDITION_LEVELS.get(tag) or (element.text or "").strip()
        if tag == "Unavailable" or not value or value == "UNAVAILABLE":
            continue  # the agent does not know the value: nothing to record
        observations.append(
            Observation(item_id, int(sequence), datetime.fromisoformat(element.get("timestamp", "")), value)
        )
    observations.sort(key=lambda o: o.sequence)
    return header, observations


def data_items(xml: bytes) -> list[dict[str, str]]:
    """The DataItem definitions of a Devices (probe) document, in document order."""
    root = ET.fromstring(xml)
    return [dict(e.attrib) for e in root.iter() if _local(e.tag) == "DataItem" and e.get("id")]


@dataclass(frozen=True)
class Route:
    """Where one DataItem's observations go: a model item, or one coordinate (0 x, 1 y, 2 z) of a 3D
    value (``1.0 2.0 3.0``) for ``index``."""

    binding: Binding
    index: int | None = None

    def value(self, text: str) -> str | None:
        if self.index is None:
            return text
        parts = text.split()
        return parts[self.index] if len(parts) == 3 else None


def auto_bindings(channel: Channel, items: list[dict[str, str]]) -> dict[str, list[Route]]:
    """Data item id -> routes for the model's items, so an imported model needs no hand mapping.

    An item whose mappings name its DataItem (``mtconnect_data_item_id``, kept by the platform's
    MTConnect import) is bound to that id. An item with only a type (a hand-written model) is bound
    only when exactly one DataItem of the agent has its category, type and sub-type and no other item
    claims it: guessing among several axes' positions would put X's readings under Y."""
    out: dict[str, list[Route]] = {}
    known = {d["id"]: d for d in items}
    typed = []
    for item in channel.model.items.values():
        wanted = item.mappings.get("mtconnect_data_item_id")
        if wanted is None:
            if item.mappings.get("mtconnect_type"):
                typed.append(item)
            continue
        if str(wanted) not in known:
            log.warning("%s: the agent has no data item %s for item %s", channel.name, wanted, item.item_id)
            continue
        index = item.mappings.get("mtconnect_vector_index")
        out.setdefault(str(wanted), []).append(
            Route(channel.bind(item.item_id), int(index) if index is not None else None)
        )
    claims: dict[str, list[str]] = {}
    for item in typed:
        wanted, sub = item.mappings["mtconnect_type"], item.mappings.get("mtconnect_sub_type")
        matches = [
            d["id"]
            for d in items
            if d.get("type") == wanted
            and d.get("category") == item.category
            and (sub is None or d.get("subType") == sub)
            and d["id"] not in out
        ]
        if len(matches) != 1:
            log.warning(
                "%s: %d data items are %s %s%s; item %s is not mapped (map it by data_item_id)",
                channel.name,
                len(matches),
                item.category,
                wanted,
                f"/{sub}" if sub else "",
                item.item_id,
            )
            continue
        claims.setdefault(matches[0], []).append(item.item_id)
    for data_item, claimed_by in claims.items():
        if len(claimed_by) > 1:
            log.warning(
                "%s: items %s all match data item %s; none is mapped (map them by data_item_id)",
                channel.name,
                ", ".join(claimed_by),
                data_item,
            )
            continue
        out[data_item] = [Route(channel.bind(claimed_by[0]))]
    return out


class MtConnectConnector:
    def __init__(self, config: MtConnect, channel: Channel, metrics: Metrics) -> None:
        self.config, self.channel, self.metrics = config, channel, metrics
        self.explicit: dict[str, list[Route]] = {}
        for p in config.points:
            self.explicit.setdefault(p.data_item_id, []).append(
                Route(channel.bind(p.item, p.unit, p.values), p.index)
            )
        self.bindings: dict[str, list[Route]] = {}
        self.instance_id: str | None = None
        self.next = 0
        self._up = metrics.connected.labels(config.name)

    def _url(self, request: str) -> str:
        base = self.config.url.rstrip("/")
        return f"{base}/{self.config.device}/{request}" if self.config.device else f"{base}/{request}"

    def _get(self, http: httpx.Client, request: str, **params: Any) -> bytes:
        answer = http.get(self._url(request), params=params)
        if answer.status_code != 200 and b"MTConnectError" not in answer.content:
            raise AgentError(f"HTTP {answer.status_code}", answer.text[:200])
        return answer.content

    def _put(self, observations: list[Observation], header: Header) -> None:
        samples = [
            Sample(route.binding, o.ts, value)
            for o in observations
            for route in self.bindings.get(o.data_item_id, ())
            if (value := route.value(o.value)) is not None
        ]
        self.next = header.next
        self.channel.put(samples, {"instance_id": header.instance_id, "next": header.next})

    def _start(self, http: httpx.Client) -> None:
        """Map the items and find where to read from: the saved cursor, a restarted agent's first
        observation, or (first run) the current values."""
        self.bindings = {}
        if self.config.auto_map:
            self.bindings.update(auto_bindings(self.channel, data_items(self._get(http, "probe"))))
        self.bindings.update(self.explicit)
        if not self.bindings:
            log.error("%s: no data item is mapped to the model; check points and mappings", self.config.name)
        header, observations = parse_streams(self._get(http, "current"))
        saved = self.instance_id is not None or bool(self.channel.cursor)
        instance = self.instance_id or self.channel.cursor.get("instance_id")
        position = self.next if self.instance_id is not None else int(self.channel.cursor.get("next", 0))
        self.instance_id = header.instance_id
        if not saved:
            self._put(observations, header)
            return
        if instance != header.instance_id:
            log.warning(
                "%s: the agent restarted (instance %s, was %s): reading its buffer from sequence %d",
                self.config.name,
                header.instance_id,
                instance,
                header.first,
            )
            self.next = header.first
        elif position < header.first:
            log.error(
                "%s: observations %d-%d are gone from the agent's buffer (offline too long)",
                self.config.name,
                position,
                header.first - 1,
            )
            self.next = header.first
        else:
            self.next = position

    def _poll(self, http: httpx.Client) -> bool:
        """One /sample request; True when the agent has more right away."""
        header, observations = parse_streams(
            self._get(http, "sample", **{"from": self.next, "count": self.config.count})
        )
        if header.instance_id != self.instance_id:
            raise AgentError("INSTANCE_CHANGED", f"the agent restarted as instance {header.instance_id}")
        self._put([o for o in observations if o.sequence >= self.next], header)
        return header.next <= header.last

    def run(self, stop: threading.Event) -> None:
        with httpx.Client(timeout=max(10.0, self.config.poll_s * 2)) as http:
            started = False
            while not stop.is_set():
                try:
                    if not started:
                        self._start(http)
                        started = True
                        self._up.set(1)
                        log.info(
                            "%s: reading %s from sequence %d", self.config.name, self.config.url, self.next
                        )
                    if self._poll(http):
                        continue
                except (httpx.HTTPError, AgentError, ET.ParseError, ValueError) as exc:
                    log.warning("%s: %s; starting over in %.1f s", self.config.name, exc, self.config.poll_s)
                    started = False
                    self._up.set(0)
                stop.wait(self.config.poll_s)
