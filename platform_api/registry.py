"""The route table: which services exist and where their specs live."""

from __future__ import annotations

import importlib

from services.kit.spec import ServiceSpec

# Order matters only for the OpenAPI document's tag order.
SERVICE_MODULES: dict[str, str] = {
    "deployments": "services.deployments.spec",
    "standards": "services.standards.spec",
    "usecases": "services.usecases.spec",
    "companies": "services.companies.spec",
    "identity": "services.identity.spec",
    "ingest": "ingest.spec",
    "analytics": "catalog.spec",
    "datasets": "catalog.datasets.spec",  # after analytics: it reads the lake through analytics' engine
}


def load_services(names: list[str] | None = None) -> list[ServiceSpec]:
    chosen = names or list(SERVICE_MODULES)
    unknown = [n for n in chosen if n not in SERVICE_MODULES]
    if unknown:
        raise ValueError(f"unknown service(s): {', '.join(unknown)}; known: {', '.join(SERVICE_MODULES)}")
    specs = []
    for name in chosen:
        try:
            module = importlib.import_module(SERVICE_MODULES[name])
        except ModuleNotFoundError as exc:
            if exc.name and SERVICE_MODULES[name].startswith(exc.name):
                continue  # service not built into this distribution
            raise
        specs.append(module.SPEC)
    return specs
