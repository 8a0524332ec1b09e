"""OPC UA client (asyncua): monitored items with a sampling interval and an absolute deadband, security
policy with a client certificate, user/password, reconnect and re-subscribe.

Items are mapped in the gateway file by node id or by browse path below ``root`` (the machine), or from
the model: an item's ``opcua_node_id`` mapping names its node, its ``opcua_browse_name`` is looked up
below ``root``. Node ids written ``nsu=<namespace URI>;...`` are resolved against the server's namespace
array at every session start: a NodeSet's namespace has whatever index the server gave it. A browse path
is matched by qualified browse names: each name with the namespace URI the model keeps for it
(``opcua_browse_namespaces``), resolved the same way, so ``Spindle`` of one companion never binds to
``Spindle`` of another (a path without namespaces matches names alone). It must name exactly one variable:
the shallowest below ``root`` whose path ends with it; two at that depth refuse the item rather than guess.
An enumeration arrives as its integer; the item's ``values`` (from ``opcua_enum_values``) name it.
Several items may read one node (``opcua_index_range`` an array element, ``opcua_field`` a structure
field): the node is monitored once and each item takes its part of every value. Readings carry the
server's source timestamp; after a reconnect the server sends every item's current value again, and the
pipeline skips those it already staged (same source timestamp).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import enum
import logging
import os
import re
import threading
from collections import defaultdict
from dataclasses import dataclass
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
from ingest.edge.standards import ModelUnavailable, enum_names, fetch_version, latest_version, model_of

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


NODE_ID = re.compile(r"^(nsu?=[^;]+;)?[isgb]=")


def quality(status: ua.StatusCode | None) -> str:
    if status is None or status.is_good():
        return "good"
    return "uncertain" if status.is_uncertain() else "bad"


def part_of(value: Any, index_range: str | None, field: str | None) -> Any:
    """The element ``index_range`` ("2", or "0,1" of a matrix) and/or the structure ``field`` of a node's
    value, as plain data; LookupError when the value has no such part (an array too short, a structure
    the client could not decode)."""
    if index_range is not None:
        for index in map(int, index_range.split(",")):
            if not isinstance(value, list | tuple) or index >= len(value):
                raise LookupError(f"no element [{index_range}] in {type(value).__name__}")
            value = value[index]
    if field is not None:
        if isinstance(value, dict) and field in value:
            value = value[field]
        elif dataclasses.is_dataclass(value) and not isinstance(value, type) and hasattr(value, field):
            value = getattr(value, field)  # asyncua decodes structures into dataclasses
        else:
            raise LookupError(f"no field {field} in {type(value).__name__}")
    if isinstance(value, ua.LocalizedText):
        return value.Text
    if isinstance(value, ua.QualifiedName):
        return value.Name
    if isinstance(value, enum.Enum):
        return value.name  # an enumeration item's allowed values are the names
    return value


async def node_of(client: Client, text: str) -> Node:
    """A node by its id; ``nsu=<uri>;...`` takes the index the server gives that namespace."""
    node_id = ua.NodeId.from_string(text)
    uri = getattr(node_id, "NamespaceUri", None)
    if uri:
        namespaces = await client.get_namespace_array()
        if uri not in namespaces:
            raise LookupError(f"the server has no namespace {uri}")
        node_id = ua.NodeId(node_id.Identifier, ua.Int16(namespaces.index(uri)), node_id.NodeIdType)
    return client.get_node(node_id)


async def _children(node: Node) -> list[tuple[Node, ua.QualifiedName, ua.NodeClass]]:
    """Hierarchical children with their browse names and classes, in one Browse."""
    refs = await node.get_references(
        refs=ua.ObjectIds.HierarchicalReferences, direction=ua.BrowseDirection.Forward
    )
    return [
        (
            Node(node.session, ua.NodeId(r.NodeId.Identifier, r.NodeId.NamespaceIndex, r.NodeId.NodeIdType)),
            r.BrowseName,
            r.NodeClass,
        )
        for r in refs
    ]


async def machine_of(client: Client, root: str) -> Node:
    """``root`` as a node: a node id, or browse names below the Objects folder (``Machines/Filler1``)."""
    if NODE_ID.match(root):
        return await node_of(client, root)
    node = client.nodes.objects
    for name in root.strip("/").split("/"):
        found = [child for child, child_name, _ in await _children(node) if child_name.Name == name]
        if len(found) != 1:
            raise LookupError(f"{len(found)} nodes named {name} on the way to {root}")
        node = found[0]
    return node


# A variable below the machine: its node, browse path (names joined with '/'), and the namespace index
# of each name.
Found = tuple[Node, str, tuple[int, ...]]


async def variables(node: Node, depth: int) -> list[Found]:
    """Variables under ``node``, depth first, in the server's order."""
    found: list[Found] = []

    async def walk(current: Node, path: str, spaces: tuple[int, ...], left: int) -> None:
        for child, name, node_class in await _children(current):
            child_path = f"{path}/{name.Name}" if path else name.Name
            child_spaces = (*spaces, name.NamespaceIndex)
            if node_class == ua.NodeClass.Variable:
                found.append((child, child_path, child_spaces))
            if left > 1:
                await walk(child, child_path, child_spaces, left - 1)

    await walk(node, "", (), depth)
    return found


def find_path(found: list[Found], path: str, namespaces: tuple[int, ...] | None = None) -> Node:
    """The one variable whose browse path ends with ``path`` (and whose names are of ``namespaces``, the
    server's index of each, when given), the shallowest; LookupError otherwise."""
    size = path.count("/") + 1
    matches = [
        (p.count("/"), node)
        for node, p, spaces in found
        if (p == path or p.endswith("/" + path)) and (namespaces is None or spaces[-size:] == namespaces)
    ]
    if not matches:
        raise LookupError("no such variable")
    depth = min(d for d, _ in matches)
    nearest = [node for d, node in matches if d == depth]
    if len(nearest) > 1:
        raise LookupError(
            f"{len(nearest)} variables match: {', '.join(n.nodeid.to_string() for n in nearest)}"
        )
    return nearest[0]


def _indices(server: list[str], uris: tuple[str, ...]) -> tuple[int, ...]:
    """The index the server gives each namespace URI; LookupError naming one it does not have."""
    missing = next((uri for uri in uris if uri not in server), None)
    if missing is not None:
        raise LookupError(f"the server has no namespace {missing}")
    return tuple(server.index(uri) for uri in uris)


@dataclass(frozen=True)
class Reader:
    """One item fed by a node: its binding and the part of the node's value it reads."""

    binding: Binding
    index_range: str | None = None
    field: str | None = None


@dataclass(frozen=True)
class Source:
    """Where an item's values come from, before the session resolves it to a node."""

    node: str | None
    browse_path: str | None
    namespaces: tuple[str, ...] | None  # the URI of each browse name of ``browse_path``
    reader: Reader
    deadband: float
    sampling_interval_ms: float


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
        self.sources = self._sources()
        self.by_node: dict[str, list[Reader]] = {}
        self._unreadable: set[str] = set()  # items whose part was missing once: warned, not every value
        self._up = metrics.connected.labels(config.name)

    def _sources(self) -> list[Source]:
        """Every item's source: the model's mappings (with ``auto_map``), then the file's points (win)."""
        c = self.config
        chosen: dict[str, Source] = {}
        if c.auto_map:
            for item in self.channel.model.items.values():
                m = item.mappings
                if "opcua_node_id" not in m and "opcua_browse_name" not in m:
                    continue
                binding = self.channel.bind(item.item_id, None, enum_names(m, item.allowed))
                reader = Reader(binding, m.get("opcua_index_range"), m.get("opcua_field"))
                path = None if "opcua_node_id" in m else str(m["opcua_browse_name"])
                spaces = m.get("opcua_browse_namespaces")
                chosen[item.item_id] = Source(
                    m.get("opcua_node_id"),
                    path,
                    tuple(str(spaces).split()) if path and spaces else None,
                    reader,
                    c.deadband,
                    c.sampling_interval_ms,
                )
        for point in c.points:
            reader = Reader(
                self.channel.bind(point.item, point.unit, point.values), point.index_range, point.field
            )
            chosen[point.item] = Source(
                point.node,
                point.browse_path,
                tuple(point.browse_namespaces) if point.browse_namespaces else None,
                reader,
                point.deadband if point.deadband is not None else c.deadband,
                point.sampling_interval_ms
                if point.sampling_interval_ms is not None
                else c.sampling_interval_ms,
            )
        return list(chosen.values())

    def changed(self, node: Node, value: Any, data_value: ua.DataValue) -> None:
        readers = self.by_node.get(node.nodeid.to_string())
        if not readers:
            return
        ts = data_value.SourceTimestamp or data_value.ServerTimestamp or datetime.now(UTC)
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        status = quality(data_value.StatusCode)
        samples = []
        for reader in readers:
            try:
                part = part_of(value, reader.index_range, reader.field)
            except LookupError as exc:
                item_id = reader.binding.item.item_id
                if item_id not in self._unreadable:
                    self._unreadable.add(item_id)
                    log.warning("%s: item %s: %s", self.config.name, item_id, exc)
                continue
            samples.append(Sample(reader.binding, ts, part, status))
        if samples:
            self.channel.put(samples)

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

    async def _below_root(self, client: Client) -> list[Found]:
        c = self.config
        depth = max([BROWSE_DEPTH] + [s.browse_path.count("/") + 1 for s in self.sources if s.browse_path])
        try:
            return await variables(await machine_of(client, c.root), depth)
        except (LookupError, ua.UaError) as exc:
            log.error("%s: root %s: %s", c.name, c.root, exc)
            return []

    async def _resolve(self, client: Client) -> list[tuple[Node, list[Reader], float, float]]:
        """Nodes to monitor, each once, with the items reading it, its deadband and sampling interval (the
        first item's)."""
        found: list[Found] | None = None
        server_spaces: list[str] | None = None
        nodes: dict[str, tuple[Node, list[Reader], float, float]] = {}
        for source in self.sources:
            try:
                if source.node is not None:
                    node = await node_of(client, source.node)
                else:
                    found = found if found is not None else await self._below_root(client)
                    indices = None
                    if source.namespaces is not None:
                        server_spaces = server_spaces or list(await client.get_namespace_array())
                        indices = _indices(server_spaces, source.namespaces)
                    node = find_path(found, str(source.browse_path), indices)
            except (LookupError, ua.UaStringParsingError) as exc:
                log.warning(
                    "%s: item %s not mapped: %s below %s: %s",
                    self.config.name,
                    source.reader.binding.item.item_id,
                    source.node or source.browse_path,
                    "the server" if source.node else self.config.root,
                    exc,
                )
                continue
            key = node.nodeid.to_string()
            if key in nodes:
                nodes[key][1].append(source.reader)
            else:
                nodes[key] = (node, [source.reader], source.deadband, source.sampling_interval_ms)
        return list(nodes.values())

    async def _session(self, stop: threading.Event) -> None:
        c = self.config
        client = self._client()
        await self._secure(client)
        async with client:
            monitored = await self._resolve(client)
            if any(r.field for _, readers, _, _ in monitored for r in readers):
                # Structures arrive as dataclasses only once the client knows the server's data types; a
                # server that cannot describe them still serves its other items (the fields say why not).
                try:
                    await client.load_data_type_definitions()
                except ua.UaError as exc:
                    log.warning("%s: cannot read the server's data types: %s", c.name, exc)
            self.by_node = {node.nodeid.to_string(): readers for node, readers, _, _ in monitored}
            params = ua.CreateSubscriptionParameters()
            params.RequestedPublishingInterval = c.publishing_interval_ms
            params.RequestedLifetimeCount = 10_000
            params.RequestedMaxKeepAliveCount = 10
            params.MaxNotificationsPerPublish = 0
            subscription = await client.create_subscription(params, _Handler(self), queue_maxsize=100_000)
            groups: dict[tuple[float, float], list[Node]] = defaultdict(list)
            for node, readers, deadband, sampling in monitored:
                # A deadband applies to the whole value: only a number read whole may have one.
                whole = len(readers) == 1 and readers[0].index_range is None and readers[0].field is None
                numeric = whole and readers[0].binding.item.data_type in ("float", "int")
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
        for node, path, _ in await variables(await machine_of(client, root), depth):
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
    except (TimeoutError, OSError, ua.UaError, LookupError) as exc:
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
