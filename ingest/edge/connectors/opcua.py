"""OPC UA client (asyncua): monitored items with a sampling interval and an absolute deadband, security
policy with a client certificate, user/password, reconnect and re-subscribe.

Items are mapped by node id in the gateway file, or from the model: an item's ``opcua_node_id`` mapping
names its node, an ``opcua_browse_name`` is looked up under ``root``. Readings carry the server's source
timestamp; after a reconnect the server sends every item's current value again, and the pipeline skips
those it already staged (same source timestamp).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import threading
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import httpx
from asyncua import Client, Node, ua
from asyncua.crypto import security_policies, uacrypto
from cryptography import x509

from ingest.edge.config import EdgeSettings
from ingest.edge.gateway import EXIT_ERROR, EXIT_OK, say
from ingest.edge.gwconfig import OpcUa
from ingest.edge.metrics import Metrics
from ingest.edge.pipeline import Binding, Channel, Sample
from ingest.edge.standards import ModelUnavailable, fetch_version, latest_version, model_of

log = logging.getLogger("smartmfg_edge.opcua")
WATCH_S = 1.0
BROWSE_DEPTH = 8
NUMERIC = (
    ua.VariantType.Float,
    ua.VariantType.Double,
    ua.VariantType.Int16,
    ua.VariantType.Int32,
    ua.VariantType.Int64,
    ua.VariantType.UInt16,
    ua.VariantType.UInt32,
    ua.VariantType.UInt64,
    ua.VariantType.Byte,
    ua.VariantType.SByte,
)


def quality(status: ua.StatusCode | None) -> str:
    if status is None or status.is_good():
        return "good"
    return "uncertain" if status.is_uncertain() else "bad"


async def variables(node: Node, depth: int) -> list[tuple[Node, str]]:
    """Variables under ``node`` (browse path joined with '/'), depth first, in the server's order."""
    found: list[tuple[Node, str]] = []

    async def walk(current: Node, path: str, left: int) -> None:
        for child in await current.get_children():
            name = (await child.read_browse_name()).Name
            child_path = f"{path}/{name}" if path else name
            if await child.read_node_class() == ua.NodeClass.Variable:
                found.append((child, child_path))
            if left > 1:
                await walk(child, child_path, left - 1)

    await walk(node, "", depth)
    return found


class _Handler:
    def __init__(self, connector: OpcUaConnector) -> None:
        self.connector = connector

    def datachange_notification(self, node: Node, value: Any, data: Any) -> None:
        self.connector.changed(node, value, data.monitored_item.Value)

    def status_change_notification(self, status: Any) -> None:
        log.warning("%s: subscription status %s", self.connector.config.name, status)


class OpcUaConnector:
    def __init__(self, config: OpcUa, channel: Channel, metrics: Metrics) -> None:
        self.config, self.channel = config, channel
        self.explicit = [(p, channel.bind(p.item, p.unit, p.values)) for p in config.points]
        self.by_node: dict[str, Binding] = {}
        self._up = metrics.connected.labels(config.name)

    def changed(self, node: Node, value: Any, data_value: ua.DataValue) -> None:
        binding = self.by_node.get(node.nodeid.to_string())
        if binding is None:
            return
        ts = data_value.SourceTimestamp or data_value.ServerTimestamp or datetime.now(UTC)
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        self.channel.put([Sample(binding, ts, value, quality(data_value.StatusCode))])

    def _client(self) -> Client:
        c = self.config
        client = Client(c.url, timeout=10)
        if c.username:
            client.set_user(c.username)
            password = os.environ.get(c.password_env) if c.password_env else c.password
            if password is not None:
                client.set_password(password)
        return client

    async def _secure(self, client: Client) -> None:
        c = self.config
        if c.security_policy == "None" or c.certificate is None or c.private_key is None:
            return
        policy = getattr(security_policies, f"SecurityPolicy{c.security_policy}")
        # Servers check that the client's application URI is the one its certificate names.
        certificate = await uacrypto.load_certificate(str(c.certificate))
        try:
            names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            uris = names.get_values_for_type(x509.UniformResourceIdentifier)
        except x509.ExtensionNotFound:
            uris = []
        if uris:
            client.application_uri = uris[0]
        await client.set_security(
            policy,
            str(c.certificate),
            str(c.private_key),
            server_certificate=str(c.server_certificate) if c.server_certificate else None,
            mode=getattr(ua.MessageSecurityMode, c.security_mode),
        )

    async def _resolve(self, client: Client) -> list[tuple[Node, Binding, float, float]]:
        """Nodes to monitor with their binding, deadband and sampling interval."""
        c = self.config
        chosen: dict[str, tuple[Node, Binding, float, float]] = {}
        if c.auto_map:
            by_name: dict[str, Node] | None = None
            for item in self.channel.model.items.values():
                node: Node | None = None
                if "opcua_node_id" in item.mappings:
                    node = client.get_node(item.mappings["opcua_node_id"])
                elif "opcua_browse_name" in item.mappings:
                    if by_name is None:
                        by_name = {}
                        for var, path in await variables(client.get_node(c.root), BROWSE_DEPTH):
                            by_name.setdefault(path.rsplit("/", 1)[-1], var)
                    node = by_name.get(item.mappings["opcua_browse_name"])
                    if node is None:
                        log.warning(
                            "%s: no variable %s under %s for item %s",
                            c.name,
                            item.mappings["opcua_browse_name"],
                            c.root,
                            item.item_id,
                        )
                if node is not None:
                    chosen[item.item_id] = (
                        node,
                        self.channel.bind(item.item_id),
                        c.deadband,
                        c.sampling_interval_ms,
                    )
        for point, binding in self.explicit:
            chosen[point.item] = (
                client.get_node(point.node),
                binding,
                point.deadband if point.deadband is not None else c.deadband,
                point.sampling_interval_ms
                if point.sampling_interval_ms is not None
                else c.sampling_interval_ms,
            )
        return list(chosen.values())

    async def _session(self, stop: threading.Event) -> None:
        c = self.config
        client = self._client()
        await self._secure(client)
        async with client:
            monitored = await self._resolve(client)
            self.by_node = {node.nodeid.to_string(): binding for node, binding, _, _ in monitored}
            params = ua.CreateSubscriptionParameters()
            params.RequestedPublishingInterval = c.publishing_interval_ms
            params.RequestedLifetimeCount = 10_000
            params.RequestedMaxKeepAliveCount = 10
            params.MaxNotificationsPerPublish = 0
            subscription = await client.create_subscription(params, _Handler(self), queue_maxsize=100_000)
            groups: dict[tuple[float, float], list[Node]] = defaultdict(list)
            for node, binding, deadband, sampling in monitored:
                numeric = binding.item.data_type in ("float", "int")
                groups[(deadband if numeric else 0.0, sampling)].append(node)
            for (deadband, sampling), nodes in groups.items():
                mfilter = None
                if deadband > 0:
                    mfilter = ua.DataChangeFilter()
                    mfilter.Trigger = ua.DataChangeTrigger.StatusValue
                    mfilter.DeadbandType = ua.DeadbandType.Absolute
                    mfilter.DeadbandValue = deadband
                # Subscription.subscribe_data_change takes no filter; _subscribe is its general form.
                results: list[int | ua.StatusCode] = await subscription._subscribe(  # type: ignore[call-overload]
                    nodes, mfilter=mfilter, queuesize=c.queue_size, sampling_interval=sampling
                )
                for node, result in zip(nodes, results, strict=True):
                    if isinstance(result, ua.StatusCode):
                        log.error("%s: cannot monitor %s: %s", c.name, node.nodeid.to_string(), result)
            self._up.set(1)
            log.info("%s: monitoring %d nodes on %s", c.name, len(monitored), c.url)
            while not stop.is_set():
                await asyncio.sleep(WATCH_S)
                await client.check_connection()  # raises once the keep-alive or the session failed

    async def _main(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                await self._session(stop)
            except (TimeoutError, OSError, ua.UaError, ConnectionError) as exc:
                log.warning(
                    "%s: %s: %s; reconnecting in %.1f s",
                    self.config.name,
                    type(exc).__name__,
                    exc,
                    self.config.reconnect_s,
                )
            finally:
                self._up.set(0)
            if not stop.is_set():
                await asyncio.sleep(self.config.reconnect_s)

    def run(self, stop: threading.Event) -> None:
        asyncio.run(self._main(stop))


# ---- smartmfg-edge browse ---------------------------------------------------------------------------


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


async def _browse(url: str, root: str, depth: int) -> list[tuple[str, str, str]]:
    async with Client(url, timeout=10) as client:
        out = []
        for node, path in await variables(client.get_node(root), depth):
            try:
                kind = (await node.read_data_type_as_variant_type()).name
            except ua.UaError:
                kind = "?"
            out.append((node.nodeid.to_string(), path, kind))
        return out


def cmd_browse(args: argparse.Namespace, settings: EdgeSettings) -> int:
    """Print a ``[[connectors]]`` draft: one point per variable, items guessed from the model's
    ``opcua_browse_name`` mappings (or left for a person to fill in)."""
    names: dict[str, str] = {}
    model_line = 'model = "FILL-IN"'
    if args.model:
        with httpx.Client(timeout=30) as http:
            try:
                version = latest_version(http, settings.base_url, args.model)
                model = model_of(fetch_version(http, settings.base_url, args.model, version))
            except (ModelUnavailable, httpx.HTTPError) as exc:
                say(f"error: {exc}")
                return EXIT_ERROR
        names = {
            i.mappings["opcua_browse_name"]: i.item_id
            for i in model.items.values()
            if "opcua_browse_name" in i.mappings
        }
        model_line = f'model = "{model.model_id}"\nmodel_version = "{model.version}"'
    try:
        found = asyncio.run(_browse(args.url, args.root, args.depth))
    except (TimeoutError, OSError, ua.UaError) as exc:
        say(f"error: cannot browse {args.url}: {exc}")
        return EXIT_ERROR
    print(f"# mapping draft for {args.url}: {len(found)} variables under {args.root}")
    print(f'[[connectors]]\nname = "opcua-1"\ntype = "opcua"\nurl = {_toml_string(args.url)}')
    print(f'equipment_id = "FILL-IN"\n{model_line}')
    for node_id, path, kind in found:
        item = names.get(path.rsplit("/", 1)[-1])
        prefix = "" if item else "# "
        print(f"\n{prefix}[[connectors.points]]  # {path} ({kind})")
        print(f"{prefix}node = {_toml_string(node_id)}")
        print(f'{prefix}item = "{item or "FILL-IN"}"')
    return EXIT_OK
