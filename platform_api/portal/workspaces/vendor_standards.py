"""The supplier's equipment data standards: import a draft model from a standard's document (OPC UA
NodeSet, MTConnect Devices, AAS), read its mapping report, propose it for the operators' review; and its
models with each version's review state and the reviewer's last comment.

Invariants:
- The document goes to the standards API as it was uploaded (the body of ``POST /imports/{format}``,
  the form's other fields as its query): the importers decide what it holds, and their refusal (not a
  document of that standard, a model id taken, too large) comes back on the form, the field named in
  words (``query.model_id`` is the form's model id, ``body`` its file).
- The mapping report is the API's, read in the visitor's language; the page adds nothing to it.
- Only the visitor's own models are listed and opened here; proposing is the API's decision (a version
  not in draft, or another's, is refused there).
"""

from __future__ import annotations

from typing import Any, get_args
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from platform_api.portal.api import PortalApi
from platform_api.portal.messages import chosen_lang, message
from platform_api.portal.render import render
from platform_api.portal.workspaces import forms
from platform_api.portal.workspaces.guard import Desk, SupplierDesk
from services.kit.errors import NotFound
from services.standards.imports import ImportFormat

router = APIRouter(include_in_schema=False)

HOME = "/me/vendor/standards"
OWN_STATES = ("draft", "proposed", "changes_requested", "published")
MAX_LISTED = 30
FORMATS = get_args(ImportFormat)
# What each format's document may hold several of, and the import's query parameter choosing one.
PICK_PARAM = {"mtconnect": "device", "opcua": "node"}

# The form's fields, and the API's names of them where they differ.
LABELS = {
    "format": "vs_format",
    "document": "vs_document",
    "model_id": "vs_model_id",
    "name_ko": "ws_name_ko",
    "name_en": "ws_name_en",
    "equipment_type": "vs_equipment_type",
    "pick": "vs_pick",
    "comment": "ws_comment",
}
API_NAMES = {"body": "document", "query.device": "pick", "query.node": "pick", "path.source": "format"}


class ImportForm(BaseModel):
    """The import form's fields besides the file; their rules are the API's (``ImportParams``)."""

    format: ImportFormat
    model_id: str | None = Field(default=None, max_length=300)
    name_ko: str | None = Field(default=None, max_length=300)
    name_en: str | None = Field(default=None, max_length=300)
    equipment_type: str | None = Field(default=None, max_length=300)
    pick: str | None = Field(default=None, max_length=300)

    def query(self) -> str:
        params = {
            "model_id": self.model_id or "",
            "name_ko": self.name_ko,
            "name_en": self.name_en,
            "equipment_type": self.equipment_type,
        }
        if self.pick and self.format in PICK_PARAM:
            params[PICK_PARAM[self.format]] = self.pick
        return urlencode({k: v for k, v in params.items() if v is not None})


class ProposeForm(BaseModel):
    comment: str | None = Field(default=None, max_length=4000)


def in_words(errors: forms.FormErrors, lang: str) -> forms.FormErrors:
    """The API's names of the import's fields as the form's, each labelled in words."""
    errors.fields = {
        API_NAMES.get(name, name.removeprefix("query.")): text for name, text in errors.fields.items()
    }
    errors.labels = {name: message(LABELS[name], lang) if name in LABELS else name for name in errors.fields}
    return errors


async def own_models(api: PortalApi, org: str) -> list[dict[str, Any]] | None:
    """The organisation's models (any state), newest first; None when the standards API does not answer."""
    found: dict[str, dict[str, Any]] = {}
    for status in OWN_STATES:
        listed = await api.all_or_none("standards", "", {"status": status})
        if listed is None:
            return None
        found.update({m["id"]: m for m in listed if m.get("owner_org_id") == org})
    return sorted(found.values(), key=lambda m: str(m.get("created_at")), reverse=True)[:MAX_LISTED]


async def _last_reviews(api: PortalApi, models: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``model@version`` -> the last entry of its review history, for versions that went to review."""
    last = {}
    for model in models:
        for version in model.get("versions") or []:
            if version["status"] == "draft":
                continue
            path = f"/{model['id']}/versions/{version['version']}/reviews"
            reviews = await api.maybe("standards", path)
            if reviews:
                last[f"{model['id']}@{version['version']}"] = reviews[-1]
    return last


async def _home(
    request: Request, who: Desk, form: dict[str, str] | None = None, errors: forms.FormErrors | None = None
) -> Response:
    errors = errors or forms.FormErrors()
    models = await own_models(who.api, str(who.principal.org_id))
    return await render(
        request,
        "workspaces/vendor_standards.html",
        {
            "models": models,
            "last_reviews": await _last_reviews(who.api, models or []),
            "formats": FORMATS,
            "done": request.query_params.get("done"),
            "done_model": request.query_params.get("model"),
            **forms.form_state(request, form or {}, errors),
        },
        status=errors.status if errors else 200,
    )


@router.get(HOME, response_class=HTMLResponse)
async def standards_page(request: Request, who: SupplierDesk) -> Response:
    return await _home(request, who)


@router.post(HOME + "/import", response_class=HTMLResponse)
async def import_document(request: Request, who: SupplierDesk) -> Response:
    upload = (await request.form()).get("document")
    document = await upload.read() if isinstance(upload, UploadFile) else b""
    lang = chosen_lang(request)

    async def call(values: ImportForm) -> httpx.Response:
        # An empty document is the API's to refuse, naming the body: the form's file.
        content_type = "application/json" if values.format == "aas" else "application/xml"
        if document[:4] == b"PK\x03\x04":
            content_type = "application/zip"
        path = f"/imports/{values.format}?{values.query()}"
        headers = {"Content-Type": content_type}
        return await who.api.send("POST", "standards", path, headers=headers, content=document)

    async def shown(answer: httpx.Response) -> Response:
        version = answer.json()["version"]
        target = f"{HOME}/{version['model_id']}/{version['version']}?done=imported"
        return RedirectResponse(target, status_code=303)

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _home(request, who, form, in_words(errors, lang))

    return await forms.handle(
        request, model=ImportForm, call=call, done=lambda _: HOME, again=again, page=HOME, shown=shown
    )


def _version_path(model_id: str, version: str) -> str:
    return f"/{model_id}/versions/{version}"


async def _version_page(
    request: Request,
    who: Desk,
    model_id: str,
    version: str,
    form: dict[str, str],
    errors: forms.FormErrors,
) -> Response:
    api, path = who.api, _version_path(model_id, version)
    try:
        model = await api.get("standards", f"/{model_id}")
        shown = await api.get("standards", path)
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    if model.get("owner_org_id") != who.principal.org_id:
        return await render(request, "not_found.html", {}, status=404)
    report = await api.maybe("standards", path + "/import-report", {"lang": chosen_lang(request)})
    reviews = await api.maybe("standards", path + "/reviews")
    return await render(
        request,
        "workspaces/vendor_standard.html",
        {
            "model": model,
            "shown": shown,
            "report": report,
            "reviews": list(reversed(reviews or [])),
            "done": request.query_params.get("done"),
            "action": f"{HOME}{path.replace('/versions', '')}/propose",
            **forms.form_state(request, form, errors),
        },
        status=errors.status if errors else 200,
    )


@router.get(HOME + "/{model_id}/{version}", response_class=HTMLResponse)
async def version_page(request: Request, model_id: str, version: str, who: SupplierDesk) -> Response:
    return await _version_page(request, who, model_id, version, {}, forms.FormErrors())


@router.post(HOME + "/{model_id}/{version}/propose", response_class=HTMLResponse)
async def propose(request: Request, model_id: str, version: str, who: SupplierDesk) -> Response:
    lang = chosen_lang(request)

    async def call(values: ProposeForm) -> httpx.Response:
        path = _version_path(model_id, version) + "/propose"
        return await who.api.send("POST", "standards", path, {"comment": values.comment})

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _version_page(request, who, model_id, version, form, in_words(errors, lang))

    return await forms.handle(
        request,
        model=ProposeForm,
        call=call,
        done=lambda _: f"{HOME}?done=proposed&model={model_id}@{version}",
        again=again,
        page=f"{HOME}/{model_id}/{version}",
        conflict="vs_conflict",
    )
