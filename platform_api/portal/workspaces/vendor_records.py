"""The supplier's deployment records in the portal: a draft filed with registry pickers, the record's page
(its state, a "not public" notice, history and published revisions, evidence documents), the edit, the
upload of evidence and its removal from a draft (after a confirmation page), the stage dates, the
submission, the answer to a send-back (the comment shown; edit, submit again), and the supplier's
confirmation of a record its SME drafted (confirm, or dispute).

Invariants:
- Every value of the draft is picked, never typed as an id: the SME from the companies registry (kind
  ``sme``), the sub-field from the taxonomy, the levels, the programme from the deployments service, and
  the factory from those the supplier may see: the factories of the records it already shares with that
  SME, and those the SME's ``deployments`` consent to the supplier lets the companies service list. An
  SME's factories are otherwise its own, so the factory may be left out: the record then carries the site
  as the registry knows the SME (its name, region and industry; an SME registered without an industry
  gets the one the supplier picks, since the API requires a site's industry) and the SME names its
  factory when it confirms (``workspaces.sme``), which replaces the whole site; the SME checks a named one
  then too. A posted choice that its picker did
  not offer (a factory of another SME) is refused by the form (``vet``), naming the field, before the API
  is called.
- The record's supplier is the visitor's own organisation: the API lets a supplier draft only projects it
  supplied, so the form does not ask.
- Every write is a form of the kit (``forms.handle``: CSRF, one-time submit token, errors in words) made
  with the visitor's token; the edit, the upload, the removal and the submission carry the version the
  page was read at (If-Match), so a change made meanwhile is refused (412) and explained, the values typed
  kept.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Literal

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from platform_api.portal.messages import chosen_lang, message
from platform_api.portal.pages import record_figures
from platform_api.portal.render import render
from platform_api.portal.workspaces import forms, record_kpis
from platform_api.portal.workspaces.guard import Desk, SupplierDesk
from platform_api.portal.workspaces.vendor import RECORDS, state_of, workspace_records
from services.kit import reference as ref
from services.kit.errors import NotFound

router = APIRouter(include_in_schema=False)

NEW = RECORDS + "/new"
Record = dict[str, Any]
# States in which a party may change a record (a published one becomes a new revision in draft).
CHANGEABLE = ("draft", "published")


class DraftForm(BaseModel):
    """The draft form as posted: the pickers' choices and the few words and figures only a person knows;
    the KPI rows (``record_kpis``) ride along as extra fields."""

    model_config = ConfigDict(extra="allow")

    title_ko: str = Field(max_length=200)
    title_en: str | None = Field(default=None, max_length=200)
    sme_company_id: str = Field(max_length=64)
    factory_id: str | None = Field(default=None, max_length=64)
    industry_code: str | None = Field(default=None, max_length=3)
    subfield_code: str = Field(max_length=16)
    solution_ko: str = Field(max_length=200)
    solution_en: str | None = Field(default=None, max_length=200)
    level_before: ref.SystemLevel
    level_after: ref.SystemLevel
    programme_code: str = Field(max_length=16)
    contract_number: str = Field(max_length=64)
    signed_on: date
    support_amount_krw: int = Field(ge=0)
    company_share_krw: int = Field(default=0, ge=0)
    version: str | None = None


class Version(BaseModel):
    """A form acting on the record as read: the submission; the upload adds its stage."""

    version: str | None = None
    stage_code: str | None = Field(default=None, max_length=16)


class Answer(BaseModel):
    """The supplier's answer to a record the SME submitted naming it: confirm, or dispute with a comment
    (the record goes back to the SME as a draft; the API requires the comment)."""

    action: Literal["confirm", "return"]
    comment: str | None = Field(default=None, max_length=2000)
    version: str | None = None


class StageDates(BaseModel):
    """The stages' actual dates as posted, named after the API's body (``stages[2].actual_end``); the API
    judges them (a date before the plan's start, an end before the start) and names the stage."""

    model_config = ConfigDict(extra="allow")

    version: str | None = None


_STAGE_FIELD = re.compile(r"(?:record\.)?stages\[(\d+)\]\.(\w+)")
_STAGE_PARTS = {
    "actual_start": "vendor_actual_start",
    "actual_end": "vendor_actual_end",
    "document_ids": "ws_documents",
}


def in_words(errors: forms.FormErrors, record: Record, lang: str) -> forms.FormErrors:
    """The API's refusal with a stage's fields named by the stage (``record.stages[9].actual_end`` →
    "완료 점검 · 실제 종료일") and the record's own fields (``record.programme_code``) by their label. A
    step the record is not ready for (409 naming what is missing) is said so, the fields listed below:
    the API's reason repeats them by their paths."""
    stages = record.get("stages") or []
    if errors.status == 409 and errors.fields:
        errors.detail = message("vendor_not_ready", lang)
    fields, labels = {}, {}
    for name, msg in errors.fields.items():
        stage = _STAGE_FIELD.fullmatch(name)
        if stage and int(stage.group(1)) < len(stages):
            name = f"stages[{stage.group(1)}].{stage.group(2)}"
            part = _STAGE_PARTS.get(stage.group(2))
            words = stage_name(stages[int(stage.group(1))], lang)
            labels[name] = f"{words} · {message(part, lang)}" if part else words
        else:
            name = name.removeprefix("record.")
            labels[name] = forms.label_of(name, lang)
        fields[name] = msg
    errors.fields, errors.labels = fields, labels
    return errors


def stage_name(stage: Record, lang: str) -> str:
    name = stage.get("name") or {}
    return str(name.get(lang) or name.get("ko") or stage.get("code"))


def known_factories(records: list[Record]) -> dict[str, dict[str, Record]]:
    """The factories the supplier's records name, by SME and factory id."""
    found: dict[str, dict[str, Record]] = {}
    for record in records:
        site = record.get("factory") or {}
        if site.get("factory_id"):
            found.setdefault(record["sme_company_id"], {})[site["factory_id"]] = site
    return found


async def consented_factories(desk: Desk) -> dict[str, dict[str, Record]]:
    """The factories the SMEs' active ``deployments`` consents to the supplier let it list, by SME and
    factory id (the companies service decides which: all, or the one a consent names)."""
    params = {"grantee_org_id": desk.principal.org_id, "scope": "deployments", "active": "true"}
    consents = await desk.api.all_or_none("identity", "/consents", params) or []
    found: dict[str, dict[str, Record]] = {}
    for sme in sorted({c["owner_org_id"] for c in consents}):
        for factory in await desk.api.all_or_none("companies", f"/{sme}/factories") or []:
            site = {k: factory[k] for k in ("name", "region_code", "industry_code")}
            found.setdefault(sme, {})[factory["id"]] = {"factory_id": factory["id"], **site}
    return found


class Pickers:
    """What the draft form offers, read with the visitor's token; ``vet`` refuses what it did not offer."""

    def __init__(
        self,
        smes: list[Record],
        factories: dict[str, dict[str, Record]],
        programmes: list[Record],
        worked: set[str],
    ) -> None:
        self.smes = smes
        self.worked = worked  # the SMEs of the supplier's records
        self.by_id = {c["id"]: c for c in smes}
        self.factories = factories
        self.programmes = programmes

    @classmethod
    async def read(cls, desk: Desk) -> Pickers:
        records = await workspace_records(desk) or []
        factories = known_factories(records)
        for sme, sites in (await consented_factories(desk)).items():
            factories.setdefault(sme, {}).update(sites)
        smes = await desk.api.all_or_none("companies", "", {"kind": "sme"}) or []
        # The SMEs whose factories the supplier can pick first.
        smes.sort(key=lambda c: (c["id"] not in factories, c["name"]["ko"]))
        programmes = await desk.api.maybe("deployments", "/programmes") or []
        return cls(smes, factories, programmes, {r["sme_company_id"] for r in records})

    def vet(self, lang: str, kpis: record_kpis.Rows) -> Callable[[DraftForm], forms.FormErrors]:
        def check(values: DraftForm) -> forms.FormErrors:
            wrong = {}
            sme = self.by_id.get(values.sme_company_id)
            if sme is None:
                wrong["sme_company_id"] = "vendor_pick_offered"
            elif values.factory_id and values.factory_id not in self.factories.get(sme["id"], {}):
                wrong["factory_id"] = "vendor_pick_factory_of_sme"
            elif values.factory_id is None and not sme.get("industry_code"):
                # the site's industry is known from no registry: the supplier names it
                if values.industry_code is None:
                    wrong["industry_code"] = "vendor_industry_needed"
                elif values.industry_code not in ref.INDUSTRY_BY_CODE:
                    wrong["industry_code"] = "vendor_pick_offered"
            if values.programme_code not in {p["code"] for p in self.programmes}:
                wrong["programme_code"] = "vendor_pick_offered"
            return field_errors(wrong | kpis.wrong(), lang)

        return check

    def site(self, values: DraftForm) -> Record:
        """The record's factory: the one picked, or the site as the registry knows the SME (no factory id:
        the SME names its factory when it confirms), in the industry the supplier picked when the registry
        knows none (the SME's registered factory replaces the whole site at confirmation)."""
        if values.factory_id:
            site = self.factories[values.sme_company_id][values.factory_id]
            return {k: site.get(k) for k in ("factory_id", "name", "region_code", "industry_code")}
        sme = self.by_id[values.sme_company_id]  # vetted: an SME of the picker
        return {
            "factory_id": None,
            "name": sme["name"]["ko"],
            "region_code": sme["region_code"],
            "industry_code": sme["industry_code"] or values.industry_code,
        }

    def context(self) -> dict[str, Any]:
        return {
            "smes": self.smes,
            "factories": self.factories,
            "worked": self.worked,
            "programmes": self.programmes,
            "subfields": [s.code for s in ref.SUBFIELDS],
            "levels": [level.value for level in ref.SystemLevel],
            "industries": [i.code for i in ref.INDUSTRIES],
        }


def field_errors(wrong: dict[str, str], lang: str) -> forms.FormErrors:
    """The form's own refusal: each field named in words with its message (keys of the portal's words)."""
    if not wrong:
        return forms.FormErrors()
    return forms.FormErrors(
        detail=message("ws_fix_fields", lang),
        fields={name: message(key, lang) for name, key in wrong.items()},
        labels={name: forms.label_of(name, lang) for name in wrong},
        status=422,
    )


def record_body(
    values: DraftForm, pickers: Pickers, supplier: str, record: Record | None, kpis: record_kpis.Rows
) -> Record:
    """The API's body of the draft (all of it: a PATCH validates the merged record as a whole anyway).
    An edit keeps the record's further solutions; the form changes its first."""
    first = {
        "subfield_code": values.subfield_code,
        "name": {"ko": values.solution_ko, "en": values.solution_en},
        "supplier_company_id": supplier,
    }
    body: Record = {
        "title": {"ko": values.title_ko, "en": values.title_en},
        "factory": pickers.site(values),
        "solutions": [first, *(record or {}).get("solutions", [])[1:]],
        "level_before": values.level_before.value,
        "level_after": values.level_after.value,
        "programme_code": values.programme_code,
        "contract": {"number": values.contract_number, "signed_on": values.signed_on.isoformat()},
        "support_amount_krw": values.support_amount_krw,
        "company_share_krw": values.company_share_krw,
        "kpis": kpis.body(),
    }
    if record is None:
        sme = pickers.by_id[values.sme_company_id]
        body |= {
            "sme_company_id": values.sme_company_id,
            "sme_name": sme["name"]["ko"],
            "supplier_company_ids": [supplier],
        }
    return body


def form_of(record: Record) -> dict[str, str]:
    """The record as the edit form shows it at first."""
    solution = (record.get("solutions") or [{}])[0]
    contract = record.get("contract") or {}
    values = {
        "title_ko": record["title"].get("ko"),
        "title_en": record["title"].get("en"),
        "sme_company_id": record["sme_company_id"],
        "factory_id": record["factory"].get("factory_id"),
        "industry_code": record["factory"].get("industry_code"),
        "subfield_code": solution.get("subfield_code"),
        "solution_ko": (solution.get("name") or {}).get("ko"),
        "solution_en": (solution.get("name") or {}).get("en"),
        "level_before": record.get("level_before"),
        "level_after": record.get("level_after"),
        "programme_code": (record.get("programme") or {}).get("code"),
        "contract_number": contract.get("number"),
        "signed_on": contract.get("signed_on"),
        "support_amount_krw": record.get("support_amount_krw"),
        "company_share_krw": record.get("company_share_krw"),
        "version": record["version"],
    }
    return {k: "" if v is None else str(v) for k, v in values.items()} | record_kpis.form_of(record)


async def _draft_page(
    request: Request, pickers: Pickers, form: dict[str, str], errors: forms.FormErrors, record: Record | None
) -> Response:
    errors = record_kpis.labelled(errors, chosen_lang(request))
    return await render(
        request,
        "workspaces/vendor_record_form.html",
        {
            "record": record,
            **pickers.context(),
            **record_kpis.context(record),
            **forms.form_state(request, form, errors),
        },
        status=errors.status if errors else 200,
    )


@router.get(NEW, response_class=HTMLResponse)
async def new_record(request: Request, desk: SupplierDesk) -> Response:
    return await _draft_page(request, await Pickers.read(desk), {}, forms.FormErrors(), None)


@router.post(NEW, response_class=HTMLResponse)
async def create_record(request: Request, desk: SupplierDesk) -> Response:
    pickers = await Pickers.read(desk)
    supplier = str(desk.principal.org_id)
    kpis = record_kpis.Rows(await request.form())  # parsed once: the form kit reads the same form

    async def call(values: DraftForm) -> httpx.Response:
        body = record_body(values, pickers, supplier, None, kpis)
        return await desk.api.send("POST", "deployments", "", body)

    async def created(answer: httpx.Response) -> Response:
        return RedirectResponse(f"{RECORDS}/{answer.json()['id']}?done=created", status_code=303)

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _draft_page(request, pickers, form, errors, None)

    return await forms.handle(
        request,
        model=DraftForm,
        call=call,
        done=lambda _: RECORDS,
        again=again,
        page=NEW,
        shown=created,
        vet=pickers.vet(chosen_lang(request), kpis),
        field=kpis.field(forms.api_field),
    )


async def _record_page(
    request: Request,
    desk: Desk,
    record_id: str,
    form: dict[str, str] | None = None,
    errors: forms.FormErrors | None = None,
    which: str | None = None,
) -> Response:
    try:
        record = await desk.api.get("deployments", f"/{record_id}")
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    history = await desk.api.all_or_none("deployments", f"/{record_id}/history")
    errors = in_words(errors, record, chosen_lang(request)) if errors else forms.FormErrors()
    return await render(
        request,
        "workspaces/vendor_record.html",
        {
            "record": record,
            "state": state_of(record),
            **record_figures(record, chosen_lang(request)),
            "history": list(reversed(history or [])),
            "stage_names": [stage_name(s, chosen_lang(request)) for s in record.get("stages") or []],
            "revisions": [h for h in history or [] if h.get("action") == "publish"],
            "changeable": record.get("status") in CHANGEABLE,
            "removable": removable_documents(record, desk),
            "which": which,
            "done": request.query_params.get("done"),
            **forms.form_state(request, form or {}, errors),
        },
        status=errors.status if errors else 200,
    )


@router.get(RECORDS + "/{record_id}", response_class=HTMLResponse)
async def record_page(request: Request, record_id: str, desk: SupplierDesk) -> Response:
    return await _record_page(request, desk, record_id)


@router.get(RECORDS + "/{record_id}/edit", response_class=HTMLResponse)
async def edit_form(request: Request, record_id: str, desk: SupplierDesk) -> Response:
    try:
        record = await desk.api.get("deployments", f"/{record_id}")
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    pickers = await Pickers.read(desk)
    return await _draft_page(request, pickers, form_of(record), forms.FormErrors(), record)


@router.post(RECORDS + "/{record_id}/edit", response_class=HTMLResponse)
async def edit_record(request: Request, record_id: str, desk: SupplierDesk) -> Response:
    try:
        record = await desk.api.get("deployments", f"/{record_id}")
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    pickers = await Pickers.read(desk)
    supplier = str(desk.principal.org_id)
    page = f"{RECORDS}/{record_id}"
    kpis = record_kpis.Rows(await request.form())

    def of_its_sme(values: DraftForm) -> DraftForm:
        # The SME of a record stays: whatever the form posted, the factory is vetted as one of the record's.
        return values.model_copy(update={"sme_company_id": record["sme_company_id"]})

    async def call(values: DraftForm) -> httpx.Response:
        body = record_body(of_its_sme(values), pickers, supplier, record, kpis)
        headers = forms.if_match(values.version)
        return await desk.api.send("PATCH", "deployments", f"/{record_id}", body, headers=headers)

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _draft_page(request, pickers, form, errors, record)

    vet = pickers.vet(chosen_lang(request), kpis)
    return await forms.handle(
        request,
        model=DraftForm,
        call=call,
        done=lambda _: f"{page}?done=edited",
        again=again,
        page=page + "/edit",
        vet=lambda values: vet(of_its_sme(values)),
        field=kpis.field(forms.api_field),
    )


async def _record_form(
    request: Request,
    desk: Desk,
    record_id: str,
    which: str,
    model: type[forms.M],
    call: Callable[[forms.M], Awaitable[httpx.Response]],
    done: Callable[[forms.M], str],
    vet: Callable[[forms.M], forms.FormErrors] | None = None,
) -> Response:
    """A form of the record's page (submit, upload, stage dates, answer): on to the page saying what was
    ``done``, or the page again with the form's errors."""
    page = f"{RECORDS}/{record_id}"

    async def again(form: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _record_page(request, desk, record_id, form, errors, which)

    return await forms.handle(
        request,
        model=model,
        call=call,
        done=lambda values: f"{page}?done={done(values)}",
        again=again,
        page=page,
        vet=vet,
    )


@router.post(RECORDS + "/{record_id}/submit", response_class=HTMLResponse)
async def submit_record(request: Request, record_id: str, desk: SupplierDesk) -> Response:
    async def call(values: Version) -> httpx.Response:
        headers = forms.if_match(values.version)
        return await desk.api.send("POST", "deployments", f"/{record_id}/submit", headers=headers)

    return await _record_form(request, desk, record_id, "submit", Version, call, lambda _: "submitted")


@router.post(RECORDS + "/{record_id}/documents", response_class=HTMLResponse)
async def upload_document(request: Request, record_id: str, desk: SupplierDesk) -> Response:
    upload = (await request.form()).get("file")  # parsed once: the form kit reads the same form
    chosen = upload if isinstance(upload, UploadFile) and upload.filename else None

    def has_file(_: Version) -> forms.FormErrors:
        return field_errors({} if chosen else {"file": "vendor_choose_file"}, chosen_lang(request))

    async def call(values: Version) -> httpx.Response:
        assert chosen is not None  # has_file said so
        data = await chosen.read()
        files = {"file": (str(chosen.filename), data, chosen.content_type or "application/octet-stream")}
        fields = {"stage_code": values.stage_code} if values.stage_code else None
        headers = forms.if_match(values.version)
        path = f"/{record_id}/documents"
        return await desk.api.send("POST", "deployments", path, headers=headers, files=files, data=fields)

    return await _record_form(
        request, desk, record_id, "upload", Version, call, lambda _: "uploaded", has_file
    )


def removable_documents(record: Record, desk: Desk) -> set[str]:
    """The documents offered for removal: a draft's, uploaded by the visitor's organisation. The API judges
    the rest (a document a published revision listed is kept, 409) and the page says its reason."""
    if record.get("status") != "draft":
        return set()
    own = desk.principal.org_id
    return {d["id"] for d in record.get("documents") or [] if d.get("uploader_org_id") == own}


@router.get(RECORDS + "/{record_id}/documents/{document_id}/delete", response_class=HTMLResponse)
async def confirm_document_removal(
    request: Request, record_id: str, document_id: str, desk: SupplierDesk
) -> Response:
    try:
        record = await desk.api.get("deployments", f"/{record_id}")
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)
    document = next((d for d in record.get("documents") or [] if d["id"] == document_id), None)
    if document is None or document_id not in removable_documents(record, desk):
        return await render(request, "not_found.html", {}, status=404)
    context = {"record": record, "document": document, "tokens": forms.hidden_fields(request)}
    return await render(request, "workspaces/vendor_document_delete.html", context)


@router.post(RECORDS + "/{record_id}/documents/{document_id}/delete", response_class=HTMLResponse)
async def remove_document(request: Request, record_id: str, document_id: str, desk: SupplierDesk) -> Response:
    async def call(values: Version) -> httpx.Response:
        path, headers = f"/{record_id}/documents/{document_id}", forms.if_match(values.version)
        return await desk.api.send("DELETE", "deployments", path, headers=headers)

    return await _record_form(request, desk, record_id, "remove", Version, call, lambda _: "removed")


@router.post(RECORDS + "/{record_id}/stages", response_class=HTMLResponse)
async def record_stages(request: Request, record_id: str, desk: SupplierDesk) -> Response:
    try:
        record = await desk.api.get("deployments", f"/{record_id}")
    except NotFound:
        return await render(request, "not_found.html", {}, status=404)

    async def call(values: StageDates) -> httpx.Response:
        posted = values.model_extra or {}
        stages = [
            {
                **{k: stage[k] for k in ("code", "planned_start", "planned_end")},
                **{k: posted.get(f"stages[{i}].{k}") for k in ("actual_start", "actual_end")},
            }
            for i, stage in enumerate(record.get("stages") or [])
        ]
        body, headers = {"stages": stages}, forms.if_match(values.version)
        return await desk.api.send("PATCH", "deployments", f"/{record_id}", body, headers=headers)

    return await _record_form(request, desk, record_id, "stages", StageDates, call, lambda _: "stages")


@router.post(RECORDS + "/{record_id}/answer", response_class=HTMLResponse)
async def answer_record(request: Request, record_id: str, desk: SupplierDesk) -> Response:
    async def call(answer: Answer) -> httpx.Response:
        path, body = f"/{record_id}/{answer.action}", {"comment": answer.comment}
        headers = forms.if_match(answer.version)
        return await desk.api.send("POST", "deployments", path, body, headers=headers)

    def done(answer: Answer) -> str:
        return "confirmed" if answer.action == "confirm" else "disputed"

    return await _record_form(request, desk, record_id, "answer", Answer, call, done)
