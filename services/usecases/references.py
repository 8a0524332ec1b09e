"""Checks that the records a use case points at exist in their own services (deployments, standards)."""

from __future__ import annotations

from fastapi import Request

from services.kit.clients import bearer_token, service_client
from services.kit.errors import NotFound, Problems, ValidationFailed, field_error
from services.kit.messages import Msg
from services.usecases.schemas import UseCaseIn, UseCasePatch


async def check_references(request: Request, data: UseCaseIn | UseCasePatch) -> None:
    """Every violation at once; the caller's token goes along, so a draft model counts only for its owner."""
    client, token = service_client(request), bearer_token(request)
    errors = []
    if data.deployment_id:
        try:
            await client.get_json("deployments", f"/{data.deployment_id}", token=token)
        except NotFound:
            errors.append(
                field_error(
                    "body.deployment_id",
                    Msg("no deployment record '{deployment_id}'", deployment_id=data.deployment_id),
                )
            )
    for i, model in enumerate(data.equipment_model_refs or []):
        try:
            await client.get_json("standards", f"/{model.model_id}/versions/{model.version}", token=token)
        except NotFound:
            errors.append(
                field_error(
                    f"body.equipment_model_refs[{i}]",
                    Msg(
                        "no equipment model '{model_id}' version {version}",
                        model_id=model.model_id,
                        version=model.version,
                    ),
                )
            )
    if errors:
        raise ValidationFailed(
            Msg(
                "a referenced record or equipment model does not exist: {problems}", problems=Problems(errors)
            ),
            fields=errors,
        )
