"""The shared datasets in the portal: the list, a dataset's page (its data card, versions and leaderboard),
accepting its licence and downloading its files, and a case's claims (claimed vs measured).

Everything goes through /api/v1/datasets with the visitor's token: the API decides who may download
(signed in, licence accepted) and records each download in the audit log; the portal only passes the file on.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from platform_api.portal.api import PortalApi, SignedOut
from platform_api.portal.auth import session_token, signed_in
from platform_api.portal.render import render
from platform_api.portal.workspaces.forms import Refused, hidden_fields, posted, refused_page
from platform_api.portal.workspaces.guard import to_login
from services.kit.clients import service_client
from services.kit.errors import NotFound
from services.kit.pagination import CURSOR_PATTERN

router = APIRouter(include_in_schema=False)

PAGE = 20
METRICS = ("f1", "accuracy", "mae", "rmse")
Cursor = Annotated[str | None, Query(max_length=2048, pattern=CURSOR_PATTERN)]


@router.get("/datasets", response_class=HTMLResponse)
async def dataset_list(request: Request, cursor: Cursor = None) -> HTMLResponse:
    params: dict[str, Any] = {"limit": PAGE} | ({"cursor": cursor} if cursor else {})
    page = await PortalApi(request).maybe("datasets", "", params)  # what everyone sees
    return await render(request, "datasets.html", {"page": page})


async def leaderboards(api: PortalApi, dataset_id: str, version: int) -> dict[str, Any]:
    """The measured claims of each metric that has any."""
    found = {}
    for metric in METRICS:
        board = await api.maybe(
            "datasets", f"/{dataset_id}/versions/{version}/leaderboard", {"metric": metric}
        )
        if board and board.get("items"):
            found[metric] = board
    return found


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
async def dataset_page(
    request: Request, dataset_id: str, version: Annotated[int | None, Query(ge=1)] = None
) -> HTMLResponse:
    api = PortalApi(request, await signed_in(request))  # the visitor's licence acceptance
    try:
        dataset = await api.get("datasets", f"/{dataset_id}")
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    chosen = next((v for v in dataset["versions"] if v["version"] == version), dataset["latest"])
    signed = session_token(request) is not None
    return await render(
        request,
        "dataset.html",
        {
            "dataset": dataset,
            "shown": chosen,
            "boards": await leaderboards(api, dataset_id, chosen["version"]),
            "accepted_now": request.query_params.get("accepted") == "1",
            "tokens": hidden_fields(request) if signed else {},
        },
    )


@router.post("/datasets/{dataset_id}/accept")
async def accept_licence(request: Request, dataset_id: str) -> Response:
    principal = await signed_in(request)
    if principal is None:
        return to_login(f"/datasets/{dataset_id}")
    try:
        form = await posted(request)  # CSRF and one-time submit tokens, as in the workspaces
    except Refused as refused:
        return await refused_page(request, refused, f"/datasets/{dataset_id}")
    if form.repeated:  # accepting twice is accepting once: show where the first submit led
        return RedirectResponse(f"/datasets/{dataset_id}?accepted=1", status_code=303)
    try:
        answer = await PortalApi(request, principal).send(
            "POST", "datasets", f"/{dataset_id}/licence-acceptance"
        )
    except SignedOut:
        return to_login(f"/datasets/{dataset_id}")
    if answer.status_code >= 300:
        form.give_back(request)
        return await render(request, "not_found.html", {}, status=answer.status_code)
    return RedirectResponse(f"/datasets/{dataset_id}?accepted=1", status_code=303)


@router.get("/datasets/{dataset_id}/versions/{version}/files/{name}")
async def download(request: Request, dataset_id: str, version: int, name: str) -> Response:
    """The API's file, passed on: the API checks the licence and writes the audit entry."""
    if await signed_in(request) is None:
        return to_login(f"/datasets/{dataset_id}")
    answer = await service_client(request).send(
        "GET", "datasets", f"/{dataset_id}/versions/{version}/files/{name}", token=session_token(request)
    )
    if answer.status_code == 403:
        return RedirectResponse(f"/datasets/{dataset_id}#licence", status_code=303)
    if answer.status_code >= 300:
        return await render(request, "not_found.html", {}, status=404)
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type"),
        headers={"Content-Disposition": answer.headers.get("content-disposition", "attachment")},
    )


async def case_claims(api: PortalApi, case_id: str) -> list[dict[str, Any]]:
    """A case's claims on shared datasets, claimed vs measured (the case page's section)."""
    return await api.maybe("datasets", f"/claims/of-case/{case_id}") or []
