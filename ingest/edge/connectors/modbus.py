"""Modbus TCP polling (pymodbus): a register map with types, scale and offset, byte and word order.

Neighbouring registers of one table are read in one request (up to ``MAX_SPAN`` registers), every
``poll_s``; each reading is stamped with the poll's time, since Modbus carries none.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from ingest.edge.gwconfig import Modbus, Register
from ingest.edge.metrics import Metrics
from ingest.edge.pipeline import Binding, Channel, Sample

log = logging.getLogger("smartmfg_edge.modbus")
MAX_SPAN = 120  # registers per request (the protocol allows 125)
MAX_GAP = 8  # unused registers read rather than making another request
WORDS = {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2, "float64": 4, "bool": 1}
FORMATS = {"int16": "h", "uint16": "H", "int32": "i", "uint32": "I", "float32": "f", "float64": "d"}


def decode(words: list[int], kind: str, byte_order: str, word_order: str) -> int | float:
    """Registers as the value they hold. ``word_order`` little: the least significant register comes first;
    ``byte_order`` little: each register holds its two bytes swapped."""
    ordered = words if word_order == "big" else list(reversed(words))
    raw = b"".join(struct.pack(">H" if byte_order == "big" else "<H", w) for w in ordered)
    value: int | float = struct.unpack(f">{FORMATS[kind]}", raw)[0]
    return value


@dataclass(frozen=True)
class Span:
    table: str
    start: int
    count: int
    registers: tuple[tuple[Register, Binding], ...]


def plan(config: Modbus, channel: Channel) -> list[Span]:
    spans: list[Span] = []
    by_table: dict[str, list[Register]] = {}
    for register in config.registers:
        by_table.setdefault(register.table, []).append(register)
    for table, registers in by_table.items():
        current: list[Register] = []
        for register in sorted(registers, key=lambda r: r.address):
            end = register.address + WORDS[register.type]
            if current and (
                register.address - max(r.address + WORDS[r.type] for r in current) > MAX_GAP
                or end - current[0].address > MAX_SPAN
            ):
                spans.append(_span(table, current, channel))
                current = []
            current.append(register)
        if current:
            spans.append(_span(table, current, channel))
    return spans


def _span(table: str, registers: list[Register], channel: Channel) -> Span:
    start = registers[0].address
    count = max(r.address + WORDS[r.type] for r in registers) - start
    bound = tuple((r, channel.bind(r.item, r.unit, r.values)) for r in registers)
    return Span(table, start, count, bound)


class ModbusConnector:
    def __init__(self, config: Modbus, channel: Channel, metrics: Metrics) -> None:
        self.config, self.channel = config, channel
        self.spans = plan(config, channel)
        self._up = metrics.connected.labels(config.name)

    def _read(self, client: ModbusTcpClient, span: Span) -> Sequence[int] | Sequence[bool]:
        read = {
            "holding": client.read_holding_registers,
            "input": client.read_input_registers,
            "coil": client.read_coils,
            "discrete": client.read_discrete_inputs,
        }[span.table]
        answer = read(span.start, count=span.count, device_id=self.config.unit_id)
        if answer.isError():
            raise ModbusException(f"{span.table} {span.start}+{span.count}: {answer}")
        return answer.bits[: span.count] if span.table in ("coil", "discrete") else answer.registers

    def _samples(self, span: Span, values: Sequence[int] | Sequence[bool], ts: datetime) -> list[Sample]:
        out = []
        for register, binding in span.registers:
            at = register.address - span.start
            if register.type == "bool":
                value: bool | int | float = bool(values[at])
            else:
                words = [int(w) for w in values[at : at + WORDS[register.type]]]
                raw = decode(
                    words,
                    register.type,
                    register.byte_order or self.config.byte_order,
                    register.word_order or self.config.word_order,
                )
                value = raw * register.scale + register.offset
            out.append(Sample(binding, ts, value))
        return out

    def run(self, stop: threading.Event) -> None:
        c = self.config
        client = ModbusTcpClient(c.host, port=c.port, timeout=c.timeout_s, retries=1)
        try:
            next_poll = time.monotonic()
            while not stop.is_set():
                if not client.connected and not client.connect():
                    self._up.set(0)
                    log.warning("%s: cannot connect to %s:%d; retrying", c.name, c.host, c.port)
                    stop.wait(max(c.poll_s, 1.0))
                    continue
                self._up.set(1)
                ts = datetime.now(UTC)
                try:
                    samples = [
                        s for span in self.spans for s in self._samples(span, self._read(client, span), ts)
                    ]
                except (ModbusException, OSError) as exc:
                    log.warning("%s: poll failed: %s", c.name, exc)
                    client.close()
                    continue
                self.channel.put(samples)
                # A fixed cadence: a slow poll does not push the following ones later and later.
                next_poll = max(next_poll + c.poll_s, time.monotonic())
                stop.wait(next_poll - time.monotonic())
        finally:
            client.close()
