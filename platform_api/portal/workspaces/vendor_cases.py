"""The supplier's AI use cases: its drafts and published cases; create and edit (one form), publish and
unpublish, delete after a confirmation; links to its deployment records and to published equipment models.

Invariants:
- The form's fields are named after the API body's paths (``title.ko``, ``effects[0].before``), so the
  API's ``fields[].loc`` lands next to the field it names; the same form creates (POST) and edits (PATCH).
- An edit carries the case's ``version`` (its ETag) as read when the form was opened and sends it as
  ``If-Match``: a case someone changed meanwhile is refused (412) and the form comes back with the values
  typed, the refusal explained and the current version, so that saving again is a decision taken knowing.
- The pickers offer what the API accepts: the visitor's own deployment records (the deployments workspace)
  and published model versions; the API checks again that each exists for this visitor.
- Every page and write is the visitor's own: another organisation's case is not offered for edit, and
  the API refuses (403) a write on it whatever form it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from platform_api.portal.api import PortalApi
from platform_api.portal.labels import VOCABULARIES
from platform_api.portal.messages import chosen_lang, message
from platform_api.portal.render import render
from platform_api.portal.workspaces import forms
from platform_api.portal.workspaces.guard import Desk, SupplierDesk
from services.kit import reference as ref
from services.kit.errors import NotFound

router = APIRouter(include_in_schema=False)

HOME = "/me/vendor/cases"
EFFECT_ROWS = 3  # rows of an empty form; an edit shows one per effect of the case, at least this many
Case = dict[str, Any]


def case_body(form: dict[str, str], models: list[str], *, clearing: bool) -> dict[str, Any]:
    """The API body from the form's fields; ``models`` are the picked ``model_id@version``. ``clearing``
    (an edit) sends an unpicked deployment as null, which unlinks it; a new case just leaves it out."""

    def text(prefix: str) -> dict[str, str]:
        return {lang: form.get(f"{prefix}.{lang}", "").strip() for lang in ("ko", "en")}

    body: dict[str, Any] = {
        "title": text("title"),
        "summary": text("summary"),
        "problem_type": form.get("problem_type") or None,
        "technique": form.get("technique") or None,
        "region_code": form.get("region_code") or None,
        "industry_code": form.get("industry_code") or None,
        "effects": [],
        "equipment_model_refs": [
            {"model_id": m, "version": v} for m, _, v in (ref_.partition("@") for ref_ in models)
        ],
    }
    # An edit whose data list is as it was shown leaves the stored names (Korean and English) alone.
    if form.get("data_used", "") != form.get("data_used_shown"):
        body["data_used"] = [d.strip() for d in form.get("data_used", "").split(",") if d.strip()]
    for i in range(effect_rows(form)):
        row = {k: form.get(f"effects[{i}].{k}", "").strip() for k in ("metric.ko", "metric.en", "unit")}
        numbers = {k: form.get(f"effects[{i}].{k}", "").strip() for k in ("before", "after")}
        if not any(row.values()) and not any(numbers.values()):
            continue
        body["effects"].append(
            {
                "metric": {"ko": row["metric.ko"], "en": row["metric.en"]},
                "unit": row["unit"],
                "before": as_number(numbers["before"]),
                "after": as_number(numbers["after"]),
                "higher_is_better": form.get(f"effects[{i}].higher_is_better") == "on",
            }
        )
    deployment = form.get("deployment_id", "").strip()
    if deployment or clearing:
        body["deployment_id"] = deployment or None
    return body


def effect_rows(form: dict[str, str]) -> int:
    """The effect rows a form holds: one per effect it was filled with, at least ``EFFECT_ROWS``."""
    shown = [int(m.group(1)) for key in form if (m := re.match(r"effects\[(\d+)\]\.", key))]
    return max([EFFECT_ROWS, *(i + 1 for i in shown)])


def as_number(value: str) -> float | str | None:
    """A number for the API, or the text as typed so the API names the field that is not one."""
    if not value:
        return None
    try:
        return float(value.replace(",", ""))
    except ValueError:
        return value


def form_of(case: Case, lang: str) -> dict[str, str]:
    """A stored case as the form's fields (the inverse of :func:`case_body`)."""
    form = {
        f"{name}.{lang_}": (case.get(name) or {}).get(lang_) or ""
        for name in ("title", "summary")
        for lang_ in ("ko", "en")
    }
    for name in ("problem_type", "technique", "region_code", "industry_code", "deployment_id"):
        form[name] = case.get(name) or ""
    names = [d.get(lang) or d.get("ko") or d.get("en") or "" for d in case.get("data_used") or []]
    form["data_used"] = form["data_used_shown"] = ", ".join(names)
    for i, effect in enumerate(case.get("effects") or []):
        form[f"effects[{i}].metric.ko"] = effect["metric"].get("ko") or ""
        form[f"effects[{i}].metric.en"] = effect["metric"].get("en") or ""
        form[f"effects[{i}].unit"] = effect["unit"]
        form[f"effects[{i}].before"] = f"{effect['before']:g}"
        form[f"effects[{i}].after"] = f"{effect['after']:g}"
        if effect.get("higher_is_better"):
            form[f"effects[{i}].higher_is_better"] = "on"
    form["version"] = str(case.get("version", ""))
    return form


def form_field(name: str) -> str:
    """The form's names are the body's (``effects[0].before``) but for a model reference
    (``equipment_model_refs[1]``): the models picker's."""
    return re.sub(r"^equipment_model_refs(\[\d+\].*)?$", "models", name)


def field_label(name: str, lang: str) -> str:
    """What the form calls a field, for the error summary (``effects[0].before`` → "효과 1 · 도입 전")."""
    effect = re.fullmatch(r"effects\[(\d+)\](?:\.(.+))?", name)
    if effect:
        row = message("effect_n", lang, n=int(effect.group(1)) + 1)
        part = FIELD_KEYS.get(effect.group(2) or "")
        return f"{row} · {message(part, lang)}" if part else row
    key = FIELD_KEYS.get(name)
    return message(key, lang) if key else name


FIELD_KEYS = {
    "title.ko": "title_ko",
    "title.en": "title_en",
    "summary.ko": "summary_ko",
    "summary.en": "summary_en",
    "problem_type": "problem",
    "technique": "technique",
    "region_code": "region",
    "industry_code": "industry",
    "data_used": "data_used",
    "effects": "effects",
    "deployment_id": "vc_deployment",
    "models": "vc_models",
    "metric.ko": "metric_ko",
    "metric.en": "metric_en",
    "unit": "unit",
    "before": "before",
    "after": "after",
}


async def _pickers(api: PortalApi, case: Case | None) -> dict[str, Any]:
    """What the link pickers offer: the visitor's records, and published model versions (with those the
    case links already, whatever their state now)."""
    records = await api.all_or_none("deployments", "/workspace") or []
    published = await api.all_or_none("standards", "", {"status": "published"}) or []
    offered = {
        f"{m['id']}@{m['latest_published_version']}": m["name"]
        for m in published
        if m.get("latest_published_version")
    }
    for linked in (case or {}).get("equipment_model_refs") or []:
        offered.setdefault(f"{linked['model_id']}@{linked['version']}", None)
    return {"records": records, "models": offered}


async def _form_page(
    request: Request,
    api: PortalApi,
    *,
    form: dict[str, str],
    models: list[str],
    errors: dict[str, str],
    detail: str | None,
    case: Case | None,
    status: int = 200,
) -> Response:
    lang = chosen_lang(request)
    return await render(
        request,
        "case_form.html",
        {
            "form": form,
            "picked_models": set(models),
            "errors": errors,
            "error_labels": {name: field_label(name, lang) for name in errors},
            "detail": detail,
            "effect_rows": range(effect_rows(form)),
            "problems": list(VOCABULARIES["problem"]),
            "techniques": list(VOCABULARIES["technique"]),
            "regions": [r.code for r in ref.REGIONS],
            "industries": [i.code for i in ref.INDUSTRIES],
            "case": case,
            "action": f"{HOME}/{case['id']}/edit" if case else f"{HOME}/new",
            "tokens": forms.hidden_fields(request),
            **await _pickers(api, case),
        },
        status=status,
    )


async def _own_case(api: PortalApi, desk: Desk, case_id: str) -> Case | None:
    """The case if it is the visitor's organisation's; None for another's (even a published one)."""
    try:
        case: Case = await api.get("usecases", f"/{case_id}")
    except NotFound:
        return None
    return case if case.get("owner_org_id") == desk.principal.org_id else None


@router.get(HOME, response_class=HTMLResponse)
async def cases_page(request: Request, who: SupplierDesk) -> Response:
    return await _list(request, who, forms.FormErrors(), None)


async def _list(request: Request, who: Desk, errors: forms.FormErrors, which: str | None) -> Response:
    org = str(who.principal.org_id)
    cases = await who.api.all_or_none("usecases", "", {"owner_org_id": org, "sort": "newest"})
    records = await who.api.all_or_none("deployments", "/workspace") or []
    done = request.query_params.get("done")
    return await render(
        request,
        "workspaces/vendor_cases.html",
        {
            "cases": cases,
            "drafts": [c for c in cases or [] if c["status"] == "draft"],
            "record_titles": {r["id"]: r["title"] for r in records},
            "done": done,
            "done_case": next((c for c in cases or [] if c["id"] == request.query_params.get("case")), None),
            "which": which,
            **forms.form_state(request, {}, errors),
        },
        status=errors.status if errors else 200,
    )


@router.get(HOME + "/new", response_class=HTMLResponse)
async def new_case(request: Request, who: SupplierDesk) -> Response:
    return await _form_page(request, who.api, form={}, models=[], errors={}, detail=None, case=None)


@router.post(HOME + "/new", response_class=HTMLResponse)
async def create_case(request: Request, who: SupplierDesk) -> Response:
    async def send(form: dict[str, str], models: list[str]) -> httpx.Response:
        return await who.api.send("POST", "usecases", "", case_body(form, models, clearing=False))

    return await _save(request, who, None, send, created=True)


@router.get(HOME + "/{case_id}/edit", response_class=HTMLResponse)
async def edit_case(request: Request, case_id: str, who: SupplierDesk) -> Response:
    case = await _own_case(who.api, who, case_id)
    if case is None:
        return await render(request, "not_found.html", {}, status=404)
    form = form_of(case, chosen_lang(request))
    models = [f"{m['model_id']}@{m['version']}" for m in case.get("equipment_model_refs") or []]
    return await _form_page(request, who.api, form=form, models=models, errors={}, detail=None, case=case)


@router.post(HOME + "/{case_id}/edit", response_class=HTMLResponse)
async def update_case(request: Request, case_id: str, who: SupplierDesk) -> Response:
    async def send(form: dict[str, str], models: list[str]) -> httpx.Response:
        body = case_body(form, models, clearing=True)
        headers = forms.if_match(form.get("version"))
        return await who.api.send("PATCH", "usecases", f"/{case_id}", body, headers=headers)

    return await _save(request, who, case_id, send, created=False)


async def _save(
    request: Request,
    who: Desk,
    case_id: str | None,
    send: Callable[[dict[str, str], list[str]], Awaitable[httpx.Response]],
    *,
    created: bool,
) -> Response:
    """The case form's POST: tokens checked (a repeat goes to the list), the API called, on to the list;
    or the form again with the values typed and the API's reasons, the submit token given back."""
    page = f"{HOME}/{case_id}/edit" if case_id else f"{HOME}/new"
    try:
        post = await forms.posted(request)
    except forms.Refused as refused:
        return await forms.refused_page(request, refused, page)
    if post.repeated:
        return RedirectResponse(f"{HOME}?repeated=1", status_code=303)
    models = [str(m) for m in (await request.form()).getlist("models") if str(m)]
    answer = await send(post.fields, models)
    if answer.status_code < 300:
        done = "created" if created else "saved"
        return RedirectResponse(f"{HOME}?done={done}&case={answer.json()['id']}", status_code=303)
    post.give_back(request)
    lang = chosen_lang(request)
    errors = forms.refusal(request, answer, form_field, conflict="vc_conflict")
    detail = errors.detail
    case = await _own_case(who.api, who, case_id) if case_id else None
    if answer.status_code == 412 and case is not None:
        # Stale: the values typed are kept, the version becomes the current one; saving again overwrites
        # the other change knowingly.
        detail = f"{message('vc_stale', lang)} ({detail})"
        post.fields["version"] = str(case.get("version", ""))
    return await _form_page(
        request,
        who.api,
        form=post.fields,
        models=models,
        errors=errors.fields,
        detail=detail,
        case=case,
        status=answer.status_code,
    )


class NoFields(BaseModel):
    pass


async def _act(request: Request, who: Desk, case_id: str, method: str, path: str, done: str) -> Response:
    """A button of the list (publish, unpublish, delete): the list again with the API's reason on refusal."""

    async def call(_: NoFields) -> httpx.Response:
        return await who.api.send(method, "usecases", path)

    async def again(_: dict[str, str], errors: forms.FormErrors) -> Response:
        return await _list(request, who, errors, case_id)

    return await forms.handle(
        request,
        model=NoFields,
        call=call,
        done=lambda _: f"{HOME}?done={done}&case={case_id}",
        again=again,
        conflict="vc_conflict",
        page=HOME,
    )


@router.post(HOME + "/{case_id}/publish", response_class=HTMLResponse)
async def publish_case(request: Request, case_id: str, who: SupplierDesk) -> Response:
    return await _act(request, who, case_id, "POST", f"/{case_id}/publish", "published")


@router.post(HOME + "/{case_id}/unpublish", response_class=HTMLResponse)
async def unpublish_case(request: Request, case_id: str, who: SupplierDesk) -> Response:
    return await _act(request, who, case_id, "POST", f"/{case_id}/unpublish", "unpublished")


@router.get(HOME + "/{case_id}/delete", response_class=HTMLResponse)
async def confirm_delete(request: Request, case_id: str, who: SupplierDesk) -> Response:
    case = await _own_case(who.api, who, case_id)
    if case is None:
        return await render(request, "not_found.html", {}, status=404)
    context = {"case": case, "tokens": forms.hidden_fields(request)}
    return await render(request, "workspaces/vendor_case_delete.html", context)


@router.post(HOME + "/{case_id}/delete", response_class=HTMLResponse)
async def delete_case(request: Request, case_id: str, who: SupplierDesk) -> Response:
    return await _act(request, who, case_id, "DELETE", f"/{case_id}", "deleted")


# The form's address before the supplier's workspace had its cases page (a form posted there without the
# workspace's tokens could not be accepted, so only the page moves).
@router.get("/me/cases/new")
async def former_new_case() -> Response:
    return RedirectResponse(f"{HOME}/new", status_code=303)
