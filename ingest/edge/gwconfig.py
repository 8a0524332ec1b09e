"""The gateway file (``gateway.toml``, or YAML) of ``smartmfg-edge run``: where readings come from, which
equipment model items they are, and how the outbox and the uploads behave.

Every table is checked on load (unknown keys included), and an error names its place in the file, e.g.
``connectors[1].registers[0].type``, so a typo never silently drops a machine.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ingest.edge.gateway import ConfigError

NAME = r"^[a-z0-9][a-z0-9_-]{0,47}$"
ITEM = r"^[a-z][a-z0-9_]{0,63}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Point(Strict):
    """What every source point shares: the model item it feeds, its source unit (converted by the platform
    to the item's canonical unit), and a translation of source values (e.g. MTConnect ACTIVE -> RUNNING)."""

    item: str = Field(pattern=ITEM)
    unit: str | None = Field(default=None, description="the source's unit; default: the item's unit")
    values: dict[str, str | int | float | bool] | None = Field(
        default=None, description="source value -> item value (anything else passes unchanged)"
    )


class Connector(Strict):
    name: str = Field(pattern=NAME, description="stable: batch ids, state and metrics are keyed by it")
    equipment_id: str = Field(min_length=1, max_length=128)
    model: str = Field(min_length=1, max_length=64, description="equipment model id on the platform")
    model_version: str | None = Field(default=None, description="default: the latest published version")


# ---- OPC UA ----------------------------------------------------------------------------------------


INDEX_RANGE = r"^\d+(,\d+)*$"


class OpcUaPoint(Point):
    """A variable named by its node id, or by its browse path below the connector's ``root`` (what a model
    imported from a type NodeSet knows); ``index_range`` and ``field`` read one element of an array value
    and/or one field of a structure value."""

    node: str | None = Field(
        default=None, min_length=1, description="node id, e.g. ns=2;s=Lathe1.SpindleSpeed or nsu=<uri>;i=6001"
    )
    browse_path: str | None = Field(
        default=None, min_length=1, description="browse names below root: Monitoring/Spindle/Speed"
    )
    browse_namespaces: list[str] | None = Field(
        default=None,
        min_length=1,
        description="the namespace URI of each browse name of browse_path (the server's index for it is "
        "looked up); without it, names of any namespace match",
    )
    index_range: str | None = Field(
        default=None, pattern=INDEX_RANGE, description="an array element: 2, or 0,1 for a matrix"
    )
    field: str | None = Field(default=None, min_length=1, description="a structure field, e.g. AccCount")
    deadband: float | None = Field(default=None, ge=0)
    sampling_interval_ms: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_source(self) -> OpcUaPoint:
        if (self.node is None) == (self.browse_path is None):
            raise ValueError("a point names its variable by node or by browse_path (one of them)")
        if self.browse_namespaces is not None and (
            self.browse_path is None or len(self.browse_namespaces) != len(self.browse_path.split("/"))
        ):
            raise ValueError("browse_namespaces names one namespace per name of browse_path")
        return self


class OpcUa(Connector):
    type: Literal["opcua"]
    url: str = Field(pattern=r"^opc\.tcp://")
    security_policy: Literal["None", "Basic128Rsa15", "Basic256", "Basic256Sha256", "Aes128Sha256RsaOaep"] = (
        "None"
    )
    security_mode: Literal["Sign", "SignAndEncrypt"] = "SignAndEncrypt"
    certificate: Path | None = Field(default=None, description="client certificate (DER or PEM)")
    private_key: Path | None = Field(default=None, description="the certificate's private key (PEM)")
    server_certificate: Path | None = None
    username: str | None = None
    password: str | None = Field(default=None, description="better: password_env")
    password_env: str | None = Field(default=None, description="environment variable holding the password")
    sampling_interval_ms: float = Field(default=500, ge=0)
    publishing_interval_ms: float = Field(default=1000, gt=0)
    deadband: float = Field(default=0.0, ge=0, description="absolute deadband for numeric items")
    queue_size: int = Field(default=10, ge=1, le=10_000)
    root: str = Field(
        default="i=85",
        min_length=1,
        description="the machine: a node id, or a browse path below the Objects folder; browse paths are "
        "looked up below it (default: the Objects folder)",
    )
    auto_map: bool = Field(default=True, description="also map items by the model's OPC UA mappings")
    reconnect_s: float = Field(default=2.0, gt=0)
    points: list[OpcUaPoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _security(self) -> OpcUa:
        if self.security_policy != "None" and (self.certificate is None or self.private_key is None):
            raise ValueError(f"security_policy {self.security_policy} needs certificate and private_key")
        if (self.password or self.password_env) and not self.username:
            raise ValueError("a password needs a username")
        return self


# ---- MTConnect --------------------------------------------------------------------------------------


class MtConnectPoint(Point):
    data_item_id: str = Field(min_length=1, description="the agent's DataItem id")
    index: int | None = Field(
        default=None, ge=0, le=2, description="a 3D DataItem's coordinate (0 x, 1 y, 2 z) for this item"
    )


class MtConnect(Connector):
    type: Literal["mtconnect"]
    url: str = Field(pattern=r"^https?://", description="agent base URL, e.g. http://agent:5000")
    device: str | None = Field(default=None, description="device name on a multi-device agent")
    poll_s: float = Field(default=1.0, gt=0)
    count: int = Field(default=1000, ge=1, le=100_000, description="observations per /sample request")
    auto_map: bool = Field(default=True, description="also map items by the model's MTConnect mappings")
    points: list[MtConnectPoint] = Field(default_factory=list)


# ---- MQTT -------------------------------------------------------------------------------------------


class MqttTopic(Strict):
    topic: str = Field(min_length=1, description="subscription pattern; + and # allowed")
    equipment_id: str | None = Field(
        default=None, description="override; {N} is the Nth topic level (0-based), e.g. 'press-{2}'"
    )
    timestamp: str | None = Field(default=None, description="JSON path of the time; default: arrival")
    items: dict[str, str] = Field(min_length=1, description="item id -> JSON path in the payload (a.b.c)")
    units: dict[str, str] = Field(default_factory=dict, description="item id -> source unit")

    @field_validator("items", "units")
    @classmethod
    def _item_ids(cls, mapping: dict[str, str]) -> dict[str, str]:
        for key in mapping:
            if not re.match(ITEM, key):
                raise ValueError(f"'{key}' is not an item id")
        return mapping


class Mqtt(Connector):
    type: Literal["mqtt"]
    host: str
    port: int = Field(default=1883, ge=1, le=65535)
    client_id: str | None = Field(default=None, description="default: smartmfg-edge-<name>; keep it stable")
    username: str | None = None
    password: str | None = None
    password_env: str | None = None
    tls: bool = False
    ca_file: Path | None = None
    qos: Literal[0, 1, 2] = 1
    session_expiry_s: int = Field(default=7 * 86400, ge=0, description="how long the broker keeps our queue")
    protocol: Literal["3.1.1", "5"] = "5"
    keepalive_s: int = Field(default=30, ge=5)
    topics: list[MqttTopic] = Field(min_length=1)


# ---- Modbus -----------------------------------------------------------------------------------------

RegisterType = Literal["int16", "uint16", "int32", "uint32", "float32", "float64", "bool"]
Order = Literal["big", "little"]


class Register(Point):
    address: int = Field(ge=0, le=65535)
    table: Literal["holding", "input", "coil", "discrete"] = "holding"
    type: RegisterType = "uint16"
    scale: float = 1.0
    offset: float = 0.0
    byte_order: Order | None = None
    word_order: Order | None = None

    @model_validator(mode="after")
    def _bits(self) -> Register:
        if (self.table in ("coil", "discrete")) != (self.type == "bool"):
            raise ValueError("coils and discrete inputs are type bool, registers are not")
        return self


class Modbus(Connector):
    type: Literal["modbus"]
    host: str
    port: int = Field(default=502, ge=1, le=65535)
    unit_id: int = Field(default=1, ge=0, le=255)
    poll_s: float = Field(default=1.0, gt=0)
    timeout_s: float = Field(default=3.0, gt=0)
    byte_order: Order = "big"
    word_order: Order = "big"
    registers: list[Register] = Field(min_length=1)


ConnectorConfig = Annotated[OpcUa | MtConnect | Mqtt | Modbus, Field(discriminator="type")]


# ---- the gateway -----------------------------------------------------------------------------------


class OutboxLimit(Strict):
    max_mb: float = Field(default=1024, gt=0, description="pending batches on disk at most")
    overflow: Literal["drop_newest", "drop_oldest"] = Field(
        default="drop_newest",
        description="drop_newest keeps what is queued and drops new batches; drop_oldest the reverse",
    )


class Upload(Strict):
    readings_per_s: float | None = Field(default=None, gt=0, description="catch-up pace; default: unpaced")
    batches_per_s: float | None = Field(default=None, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    backoff_s: float = Field(default=0.5, gt=0)


class Platform(Strict):
    """Defaults for the SMARTMFG_EDGE_* settings; the environment and flags win (keep secrets there)."""

    api: str | None = None
    token_url: str | None = None
    client_id: str | None = None
    factory_id: str | None = None


class Gateway(Strict):
    outbox: Path | None = Field(default=None, description="default: SMARTMFG_EDGE_OUTBOX")
    batch_rows: int = Field(default=5000, ge=1, le=100_000)
    batch_seconds: float = Field(default=1.0, gt=0)
    policy: Literal["reject", "partial"] = "partial"
    metrics_port: int | None = Field(default=None, ge=0, le=65535, description="Prometheus; 0 = any free")
    metrics_host: str = "127.0.0.1"
    outbox_limit: OutboxLimit = OutboxLimit()
    upload: Upload = Upload()


class GatewayFile(Strict):
    platform: Platform = Platform()
    gateway: Gateway = Gateway()
    connectors: list[ConnectorConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> GatewayFile:
        seen: set[str] = set()
        for connector in self.connectors:
            if connector.name in seen:
                raise ValueError(f"connector name '{connector.name}' appears twice")
            seen.add(connector.name)
        return self


def _where(loc: tuple[int | str, ...], document: dict[str, Any]) -> str:
    """``('connectors', 1, 'modbus', 'registers', 0, 'type')`` as ``connectors[1].registers[0].type``: the
    discriminator's tag is pydantic's, not the file's."""
    out = ""
    node: Any = document
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        if isinstance(node, dict) and part not in node and part in ("opcua", "mtconnect", "mqtt", "modbus"):
            continue  # the union's branch name
        out += f".{part}" if out else part
        node = node.get(part) if isinstance(node, dict) else None
    return out or "(file)"


def parse(document: dict[str, Any], origin: str = "gateway file") -> GatewayFile:
    try:
        return GatewayFile.model_validate(document)
    except ValidationError as exc:
        problems = [f"{_where(e['loc'], document)}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"{origin} is not valid:\n  " + "\n  ".join(problems)) from None


def load(path: Path) -> GatewayFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the gateway file {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            document = yaml.safe_load(text) or {}
        else:
            document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path} is not valid {path.suffix.lstrip('.').upper() or 'TOML'}: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: the top level must be a table")
    return parse(document, str(path))
