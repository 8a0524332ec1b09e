"""A small OPC UA machine-tool server for the tests (asyncua), on its own thread and event loop."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncua import Server, ua
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.user_managers import UserManager

from tests.ingest.edge.ports import free_port

URI = "urn:smartmfg:test:machine-tool"
SERVER_URI = "urn:smartmfg:test:server"  # the server certificate's
# browse name, variant type, initial value
VARIABLES = [
    ("SpindleSpeed", ua.VariantType.Double, 0.0),
    ("SpindleTemperature", ua.VariantType.Double, 20.0),
    ("Execution", ua.VariantType.String, "IDLE"),
    ("PartCount", ua.VariantType.Int32, 0),
    ("DoorOpen", ua.VariantType.Boolean, False),
    ("FeedOverride", ua.VariantType.Double, 100.0),  # in no model: a browse draft shows it commented out
]


class Users(UserManager):
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> Any:
        if username is None:
            return User(role=UserRole.User)  # anonymous, when the endpoint allows it
        return User(role=UserRole.User) if self.users.get(username) == password else None


class MachineServer:
    start_timeout_s = 30.0

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        certificate: Path | None = None,
        private_key: Path | None = None,
    ) -> None:
        self.users, self.certificate, self.private_key = users, certificate, private_key
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: Server | None = None
        self.nodes: dict[str, Any] = {}
        self.values: dict[str, tuple[Any, datetime]] = {}
        self.port = 0

    def _call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self, port: int) -> None:
        server = Server(user_manager=Users(self.users) if self.users else None)
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/machine")
        server.set_server_name("smartmfg test machine tool")
        if self.certificate is not None and self.private_key is not None:
            await server.set_application_uri(SERVER_URI)
            await server.load_certificate(str(self.certificate))
            await server.load_private_key(str(self.private_key))
            server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
        if self.users:
            server.set_identity_tokens([ua.UserNameIdentityToken])
        idx = await server.register_namespace(URI)
        lathe = await server.nodes.objects.add_object(f"ns={idx};s=Lathe1", f"{idx}:Lathe1")
        spindle = await lathe.add_object(f"ns={idx};s=Lathe1.Spindle", f"{idx}:Spindle")
        for name, kind, initial in VARIABLES:
            parent = spindle if name.startswith("Spindle") else lathe
            # Values and their source timestamps survive a restart, as on a real controller.
            value, ts = self.values.setdefault(name, (initial, datetime.now(UTC)))
            node = await parent.add_variable(
                f"ns={idx};s=Lathe1.{name}", f"{idx}:{name}", ua.Variant(value, kind)
            )
            await node.write_value(
                ua.DataValue(ua.Variant(value, kind), SourceTimestamp=ts, ServerTimestamp=ts)
            )
            self.nodes[name] = (node, kind)
        await server.start()
        self.server = server

    def start(self, port: int = 0) -> MachineServer:
        self.port = port or free_port()
        self._call(self._start(self.port), self.start_timeout_s)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self._call(self.server.stop())
            self.server = None

    def restart(self) -> None:
        self.stop()
        self.start(self.port)

    def write(self, name: str, value: Any, ts: datetime) -> None:
        node, kind = self.nodes[name]
        self.values[name] = (value, ts)
        self._call(
            node.write_value(ua.DataValue(ua.Variant(value, kind), SourceTimestamp=ts, ServerTimestamp=ts))
        )

    def close(self) -> None:
        self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    @property
    def url(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}/machine"
