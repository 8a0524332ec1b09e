"""A pymodbus TCP server for the tests, on its own thread and event loop; registers are written through
the protocol by a client, as a PLC program would change them."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from pymodbus.client import ModbusTcpClient
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

from tests.ingest.edge.ports import free_port, wait_listening


class PlcServer:
    def __init__(self) -> None:
        self.context = ModbusServerContext(
            devices=ModbusDeviceContext(
                hr=ModbusSequentialDataBlock(1, [0] * 200),
                ir=ModbusSequentialDataBlock(1, [0] * 200),
                co=ModbusSequentialDataBlock(1, [False] * 64),
                di=ModbusSequentialDataBlock(1, [False] * 64),
            ),
            single=True,
        )
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.server: ModbusTcpServer | None = None

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    async def _start(self) -> None:
        self.server = ModbusTcpServer(self.context, address=("127.0.0.1", self.port))
        asyncio.get_running_loop().create_task(self.server.serve_forever())

    def start(self) -> PlcServer:
        self._call(self._start())
        wait_listening(self.port, "the Modbus server")
        return self

    def stop(self) -> None:
        if self.server is not None:
            self._call(self.server.shutdown())
            self.server = None

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)

    def write(self, address: int, words: list[int]) -> None:
        with ModbusTcpClient("127.0.0.1", port=self.port) as client:
            assert not client.write_registers(address, words).isError()

    def write_coil(self, address: int, value: bool) -> None:
        with ModbusTcpClient("127.0.0.1", port=self.port) as client:
            assert not client.write_coil(address, value).isError()
