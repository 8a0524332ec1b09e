"""``smartmfg-edge run`` and ``check``: the long-running gateway of a gateway file, and its dry run."""

from __future__ import annotations

import argparse
import functools
import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from ingest.edge import gwconfig
from ingest.edge.connectors import Connector, build
from ingest.edge.gateway import EXIT_AUTH, EXIT_ERROR, EXIT_OK, ConfigError, Edge
from ingest.edge.metrics import Metrics
from ingest.edge.pipeline import Channel, Checkpoints, Stager, count_delivery
from ingest.edge.standards import STANDARDS, Model, ModelCache, ModelUnavailable
from ingest.edge.stream import BackgroundSender
from ingest.edge.uploader import Delivery, Pacer, Tally, Uploader

log = logging.getLogger("smartmfg_edge")
TICK_S = 0.1
SAVE_EVERY_S = 30.0
GAUGES_EVERY_S = 1.0
RESTART_PAUSE_S = 5.0
JOIN_S = 15.0


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Libraries that log every request or packet: only their problems belong in a gateway's log.
    for noisy in ("httpx", "httpcore", "asyncua", "pymodbus"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@dataclass(frozen=True)
class MappedPoint:
    loc: str  # where in the gateway file
    item_id: str
    unit: str | None


def mapped_points(index: int, config: gwconfig.ConnectorConfig) -> list[MappedPoint]:
    """The hand-mapped points of a connector (auto-mapped ones come from the model and need no check)."""
    at = f"connectors[{index}]"
    if isinstance(config, gwconfig.Mqtt):
        return [
            MappedPoint(f"{at}.topics[{t}].items.{item}", item, topic.units.get(item))
            for t, topic in enumerate(config.topics)
            for item in topic.items
        ]
    if isinstance(config, gwconfig.Modbus):
        return [
            MappedPoint(f"{at}.registers[{i}].item", r.item, r.unit) for i, r in enumerate(config.registers)
        ]
    return [MappedPoint(f"{at}.points[{i}].item", p.item, p.unit) for i, p in enumerate(config.points)]


def _models(edge: Edge, file: gwconfig.GatewayFile) -> tuple[dict[str, Model], list[str]]:
    """The model of every connector, and what is wrong with the others."""
    cache = ModelCache(edge.http, edge.settings.base_url, edge.outbox.root / "state" / "models")
    models, problems = {}, []
    for index, config in enumerate(file.connectors):
        try:
            models[config.name] = cache.get(config.model, config.model_version)
        except ModelUnavailable as exc:
            problems.append(f"connectors[{index}].model: {exc}")
    return models, problems


def _sample_value(item: Any) -> Any:
    if item.data_type == "string":
        return item.allowed[0] if item.allowed else "x"
    if item.data_type == "bool":
        return True
    return item.lo if item.lo is not None else 0


def _check_units(edge: Edge, model: Model, points: list[MappedPoint]) -> list[str]:
    """Ask the platform's own validation whether each point's unit converts to its item's unit."""
    known = [p for p in points if p.item_id in model.items]
    if not known:
        return []
    readings = [
        {"item_id": p.item_id, "value": _sample_value(model.items[p.item_id]), "unit": p.unit} for p in known
    ]
    answer = edge.http.post(
        f"{edge.settings.base_url}{STANDARDS}/{model.model_id}/versions/{model.version}/validate",
        json={"readings": readings},
    )
    answer.raise_for_status()
    return [
        f"{known[v['index']].loc}: unit {known[v['index']].unit}: {v['reason']}"
        for v in answer.json()["violations"]
        if v["field"] == "unit"
    ]


def cmd_check(edge: Edge, args: argparse.Namespace) -> int:
    file: gwconfig.GatewayFile = args.gateway_file
    models, problems = _models(edge, file)
    for line in problems:
        print(f"error {line}")
    for index, config in enumerate(file.connectors):
        if config.name not in models:
            continue
        model, points = models[config.name], mapped_points(index, config)
        mine = [
            f"{p.loc}: model {model.model_id} {model.version} has no item '{p.item_id}'"
            for p in points
            if p.item_id not in model.items
        ]
        mine += _check_units(edge, model, points)
        mapping_key = {"opcua": "opcua_", "mtconnect": "mtconnect_type"}.get(config.type)
        automatic = (
            sum(any(k.startswith(mapping_key) for k in i.mappings) for i in model.items.values())
            if mapping_key and getattr(config, "auto_map", False)
            else 0
        )
        for line in mine:
            print(f"error {line}")
        problems += mine
        if not mine:
            print(
                f"ok    {config.name} ({config.type}): {config.equipment_id} as "
                f"{model.model_id} {model.version}, "
                f"{len(points)} mapped points"
                + (f", {automatic} items from the model's mappings" if automatic else "")
            )
    if problems:
        print(f"{len(problems)} problem(s) in {args.config}")
        return EXIT_ERROR
    return EXIT_OK


def _supervise(name: str, connector: Connector, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            connector.run(stop)
        except Exception:  # a connector bug must not end the gateway: log it and start that one over
            log.exception("%s: connector failed; restarting in %.0f s", name, RESTART_PAUSE_S)
            stop.wait(RESTART_PAUSE_S)


def cmd_run(edge: Edge, args: argparse.Namespace) -> int:
    file: gwconfig.GatewayFile = args.gateway_file
    gw = file.gateway
    metrics = Metrics()
    if gw.metrics_port is not None:
        try:
            port = metrics.serve(gw.metrics_host, gw.metrics_port)
        except OSError as exc:
            raise ConfigError(f"gateway.metrics_port {gw.metrics_port}: {exc.strerror}") from None
        log.info("metrics on http://%s:%d/metrics", gw.metrics_host, port)
    factory = edge.factory_id()
    models, problems = _models(edge, file)
    if problems:
        raise ConfigError("; ".join(problems))
    uploader = Uploader(
        edge.http,
        edge.settings.base_url,
        edge.tokens,
        max_attempts=gw.upload.max_attempts,
        backoff_s=gw.upload.backoff_s,
        on_retry=lambda meta, reason, delay: log.info("retry %s in %.1f s: %s", meta.batch_id, delay, reason),
        pacer=Pacer(gw.upload.readings_per_s, gw.upload.batches_per_s),
    )

    def delivered(delivery: Delivery) -> None:
        count_delivery(metrics, delivery)

    sender = BackgroundSender(edge.outbox, uploader, Tally(), delivered)
    stager = Stager(edge.outbox, factory, gw.policy, gw.outbox_limit, metrics, sender.notify)
    checkpoints = Checkpoints(edge.outbox, edge.outbox.root / "state" / "checkpoints")
    channels, connectors = [], []
    for config in file.connectors:
        channel = Channel(
            config.name,
            config.equipment_id,
            models[config.name],
            checkpoints.restore(config.name),
            stager.stage,
            functools.partial(checkpoints.save, config.name),
            metrics,
            gw.batch_rows,
            gw.batch_seconds,
        )
        channels.append(channel)
        connectors.append((config.name, build(config, channel, metrics)))
    stop = threading.Event()
    threads = [
        threading.Thread(target=_supervise, args=(name, c, stop), name=f"edge-{name}", daemon=True)
        for name, c in connectors
    ]
    sender.start()
    for thread in threads:
        thread.start()
    log.info("gateway running for factory %s: %s", factory, ", ".join(name for name, _ in connectors))
    code = EXIT_OK
    saved = measured = time.monotonic()
    try:
        while sender.auth_error is None:
            time.sleep(TICK_S)
            for channel in channels:
                channel.tick()
            now = time.monotonic()
            if now - measured >= GAUGES_EVERY_S:
                stager.refresh()
                measured = now
            if now - saved >= SAVE_EVERY_S:
                for channel in channels:
                    channel.save()
                saved = now
        log.error("credentials refused: %s", sender.auth_error)
        code = EXIT_AUTH
    except KeyboardInterrupt:
        log.info("stopping: staging what was read")
    finally:
        stop.set()
        for thread in threads:
            thread.join(JOIN_S)
        for channel in channels:
            channel.flush()
            channel.save()
        sender.close()
        stager.refresh()
    return code
