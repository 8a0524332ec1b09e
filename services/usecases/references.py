"""Checks that the records a use case points at exist in their own services (deployments, standards)."""

from __future__ import annotations

from fastapi import Request

from services.kit.clients import bearer_token, service_client
from services.kit.errors import NotFound, ValidationFailed, field_error
from services.usecases.schemas import UseCaseIn, UseCasePatch


async def check_references(request: Request, data: UseCaseIn | UseCasePatch) -> None:
    """Every violation at once; the caller's token goes along, so a draft model counts only for its owner."""
    client, token = service_client(request), bearer_token(request)
    errors = []
    if data.deployment_id:
        try:
            await client.get_json("deployments", f"/{data.deployment_id}", token=token)
        except NotFound:
            errors.append(field_error("body.deployment_id", f"no deployment record '{data.deployment_id}'"))
    for i, model in enumerate(data.equipment_model_refs or []):
        try:
            await client.get_json("standards", f"/{model.model_id}/versions/{model.version}", token=token)
        except NotFound:
            errors.append(
                field_error(
                    f"body.equipment_model_refs[{i}]",
                    f"no equipment model '{model.model_id}' version {model.version}",
                )
            )
    if errors:
        raise ValidationFailed(
            "; ".join(f"{e['loc']}: {e['msg']}" for e in errors),
            detail_ko="참조한 구축정보 또는 설비 모델이 없습니다",
            fields=errors,
        )
