"""The workspaces' form kit: CSRF, one-time submit tokens, and the API's refusals in the visitor's words.

Invariants:
- Every POST of a workspace form carries ``csrf``: an HMAC of the visitor's session token under a key
  derived from the gateway's OIDC client secret. It is per session, nothing is stored, every replica
  checks it alike; a POST whose ``csrf`` is not that of its own session is refused (403) before any API
  is called. The session cookie is HttpOnly and SameSite=Lax, so another site can neither read nor send it.
- Every form also carries ``submit``: a random nonce with its issue time, signed the same way. It is spent
  (kept in this process's bounded ``portal-forms`` cache for ``SUBMIT_TTL_S``) the moment the form is
  accepted, before the API is called, with no ``await`` in between: a second submit of the same form (a
  double click, a reload, "back" and submit again) finds it spent and is shown where the first one led,
  so nothing is done twice. A write the API refuses gives the token back and the form is shown again.
  Another replica does not know this process's spent tokens; the API's own rules (a record in the wrong
  state is a 409) remain the last guard there.
- The portal decides nothing: every action is the API's call with the visitor's own token, and whatever
  the API refuses (403, 409, 412, 422) is shown with the API's reason, fields named in words.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from platform_api.portal.api import PortalApi
from platform_api.portal.auth import session_token
from platform_api.portal.messages import chosen_lang, message
from platform_api.portal.render import render
from services.kit.app_state import app_state
from services.kit.cache import PUBLIC, Cache, Key
from services.kit.errors import PlatformError
from services.kit.slots import Slot
from services.kit.validation_messages import message_of

M = TypeVar("M", bound=BaseModel)
SUBMIT_TTL_S = 3600.0  # a form left open longer than this is sent again with a fresh token
_SPENT_BYTES = 2_000_000  # ~10 000 spent tokens: more forms than an hour brings to one process


def _key(request: Request) -> bytes:
    secret: str = app_state(request).settings.keycloak.client_secret
    return hashlib.sha256(b"portal-forms\x00" + secret.encode()).digest()


def _sign(request: Request, text: str) -> str:
    return hmac.new(_key(request), text.encode(), hashlib.sha256).hexdigest()[:32]


def csrf_token(request: Request) -> str:
    return _sign(request, "csrf\x00" + (session_token(request) or ""))


def submit_token(request: Request) -> str:
    nonce = f"{secrets.token_urlsafe(12)}.{int(time.time())}"
    return f"{nonce}.{_sign(request, 'submit' + chr(0) + nonce)}"


def hidden_fields(request: Request) -> dict[str, str]:
    """The tokens every workspace form carries (rendered by the ``tokens`` macro)."""
    return {"csrf": csrf_token(request), "submit": submit_token(request)}


def form_state(request: Request, form: Mapping[str, str], errors: FormErrors) -> dict[str, Any]:
    """What every workspace form page renders beside its own data: the values kept, the errors, the hidden
    tokens, and whether the last submit was a repeat the one-time token refused."""
    return {
        "form": form,
        "errors": errors,
        "tokens": hidden_fields(request),
        "repeated": request.query_params.get("repeated") == "1",
    }


SPENT: Slot[Cache[bool]] = Slot("portal_spent_forms")


def _spent(request: Request) -> Cache[bool]:
    # One per app, made on first use; bounded by bytes and time like every cache of the platform.
    state = app_state(request)
    found = state.find(SPENT)
    return found if found is not None else state.put(SPENT, Cache("portal-forms", _SPENT_BYTES, SUBMIT_TTL_S))


def _submit_key(token: str) -> Key:
    return Key("portal.spent-form", PUBLIC, None, (token,))


class Refused(Exception):
    """A POST that is not this session's (403) or carries no valid submit token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def refused_page(request: Request, refused: Refused, back: str) -> HTMLResponse:
    """A form that is not this session's (403), or too old to be sent (the page is to be reloaded)."""
    status = 403 if refused.reason == "csrf" else 400
    context = {"reason": refused.reason, "back": back}
    return await render(request, "workspaces/refused.html", context, status=status)


@dataclass
class Posted:
    """A workspace form as posted: its fields, and whether this very form was already submitted."""

    fields: dict[str, str]
    token: str
    repeated: bool

    def give_back(self, request: Request) -> None:
        """The API refused the write: the same form may be sent again (corrected)."""
        _spent(request).put(_submit_key(self.token), False)


async def posted(request: Request) -> Posted:
    """The form's fields once its CSRF and submit tokens are checked; the submit token is spent here."""
    raw = await request.form()
    fields = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
    if not hmac.compare_digest(fields.pop("csrf", ""), csrf_token(request)):
        raise Refused("csrf")
    token = fields.pop("submit", "")
    nonce, _, signature = token.rpartition(".")
    issued = nonce.rpartition(".")[2]
    if (
        not nonce
        or not hmac.compare_digest(signature, _sign(request, "submit\x00" + nonce))
        or not issued.isdigit()
        or time.time() - int(issued) > SUBMIT_TTL_S
    ):
        raise Refused("expired")
    store, key = _spent(request), _submit_key(token)
    if store.get(key):
        return Posted(fields, token, repeated=True)
    store.put(key, True)
    return Posted(fields, token, repeated=False)


@dataclass
class FormErrors:
    """What a form shows after a refusal: the summary and, per field, its label and message."""

    detail: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    status: int = 200

    def __bool__(self) -> bool:
        return self.detail is not None or bool(self.fields)


# Form field -> the key of its label in the portal's words; the API's ``body.<name>`` maps to the same.
FIELD_LABELS: dict[str, str] = {
    "comment": "ws_comment",
    "title": "ws_ticket_title",
    "description": "ws_ticket_description",
    "severity": "ws_severity",
    "supplier": "supplier",
    "version": "ws_version",
    "reason": "ws_reason",
    "score": "ws_score",
    "actor": "ws_audit_actor",
    "resource_type": "ws_audit_resource",
    "since": "ws_audit_since",
    "until": "ws_audit_until",
    "action": "ws_audit_action",
    "from": "rg_from",
    "to": "rg_to",
    "override_reason": "ws_override_reason",
    "id": "ws_org_id",
    "kind": "ws_org_kind",
    "name_ko": "ws_name_ko",
    "name_en": "ws_name_en",
    "username": "ws_username",
    "password": "ws_password",
    "role": "ws_user_role",
    "email": "ws_email",
    "first_name": "ws_first_name",
    "last_name": "ws_last_name",
    "factory_id": "factory",
    "client_id": "ws_client_id",
    # The supplier's deployment-record form (workspaces.vendor_records).
    "title_ko": "title_ko",
    "title_en": "title_en",
    "sme_company_id": "sme",
    "industry_code": "vendor_site_industry",
    "subfield_code": "subfield",
    "solution_ko": "vendor_solution_ko",
    "solution_en": "vendor_solution_en",
    "level_before": "level_before",
    "level_after": "level_after",
    "programme_code": "programme",
    "contract_number": "vendor_contract_number",
    "signed_on": "vendor_signed_on",
    "support_amount_krw": "support_amount",
    "company_share_krw": "vendor_company_share",
    "file": "vendor_file",
    "stage_code": "ws_stage",
}


# The API's name of a field -> the form's, where they differ.
API_FIELDS = {
    "grantee_org_id": "supplier",
    "name.ko": "name_ko",
    "name.en": "name_en",
    # A deployment record's body as the supplier's form names it (workspaces.vendor_records).
    "title.ko": "title_ko",
    "title.en": "title_en",
    "factory.factory_id": "factory_id",
    "factory.region_code": "factory_id",
    "factory.industry_code": "factory_id",
    "solutions[0].subfield_code": "subfield_code",
    "solutions[0].name.ko": "solution_ko",
    "solutions[0].name.en": "solution_en",
    "contract.number": "contract_number",
    "contract.signed_on": "signed_on",
}


def checked(model: type[M], fields: Mapping[str, str], lang: str) -> tuple[M | None, FormErrors]:
    """The form's values as ``model``, or the errors in ``lang``, each field named in words. An empty
    dropdown arrives as "" and is treated as missing ("필수 항목입니다", not a type error)."""
    values = {k: v for k, v in fields.items() if v.strip()}
    try:
        return model.model_validate(values), FormErrors()
    except ValidationError as exc:
        errors = FormErrors(status=422, detail=message("ws_fix_fields", lang))
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "_"
            errors.fields.setdefault(name, message_of(error).render(lang == "ko"))
        errors.labels = {name: label_of(name, lang) for name in errors.fields}
        return None, errors


def label_of(name: str, lang: str) -> str:
    key = FIELD_LABELS.get(name)
    return message(key, lang) if key else name


def api_field(name: str) -> str:
    """The form's name of an API field (the body's or the query's path without its prefix)."""
    return API_FIELDS.get(name, name)


def refusal(
    request: Request,
    answer: httpx.Response,
    field: Callable[[str], str] = api_field,
    conflict: str = "ws_conflict",
) -> FormErrors:
    """The API's refusal of a write as the form shows it: a stale record (412) and a conflict (409) are
    explained in the portal's words, the API's own reason (already in the visitor's language) beside. A
    form whose fields are not named as the API's says how with ``field``; one about something else than a
    deployment record names the message that explains its conflict (``conflict``)."""
    lang = chosen_lang(request)
    try:
        body: dict[str, Any] = answer.json()
    except ValueError:
        body = {}
    reason = str(body.get("detail") or answer.reason_phrase)
    explained = {412: "ws_stale", 409: conflict, 403: "ws_forbidden"}.get(answer.status_code)
    detail = f"{message(explained, lang)} ({reason})" if explained else reason
    errors = FormErrors(detail=detail, status=answer.status_code)
    for entry in body.get("fields") or []:
        # A filter form's fields are the query's parameters, a write form's the body's.
        name = field(str(entry.get("loc", "")).removeprefix("body.").removeprefix("query."))
        errors.fields.setdefault(name, str(entry.get("msg", "")))
    errors.labels = {name: label_of(name, lang) for name in errors.fields}
    return errors


async def filtered(
    request: Request, api: PortalApi, service: str, path: str, params: dict[str, Any]
) -> tuple[Any, FormErrors]:
    """The answer to a filter form (a GET), or the API's refusal of its filters (400, 422) with the fields
    named in words: the API checks the filters, the form only their types. (None, no errors) when the API
    cannot answer."""
    try:
        return await api.get(service, path, {**params, "lang": chosen_lang(request)}), FormErrors()
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code in (400, 422):
            return None, refusal(request, exc.response)
        return None, FormErrors()
    except PlatformError:
        return None, FormErrors()


def if_match(version: str | None) -> dict[str, str]:
    """The If-Match header of a record read at ``version`` (the form's hidden field), if any."""
    return {"If-Match": f'"{version}"'} if version and version.isdigit() else {}


async def handle(
    request: Request,
    *,
    model: type[M],
    call: Callable[[M], Awaitable[httpx.Response]],
    done: Callable[[M], str],
    again: Callable[[dict[str, str], FormErrors], Awaitable[Response]],
    page: str,
    shown: Callable[[httpx.Response], Awaitable[Response]] | None = None,
    vet: Callable[[M], FormErrors] | None = None,
    field: Callable[[str], str] = api_field,
    conflict: str = "ws_conflict",
) -> Response:
    """A workspace form's POST: tokens checked, a repeat sent to ``page``, the fields checked against
    ``model``, the API ``call`` made; then on to ``done`` (303), or the form ``again`` with its values and
    errors (the submit token given back). An answer to be seen once (a new secret) is ``shown`` as the
    POST's own response instead of being redirected to. ``vet`` refuses values the model cannot judge
    alone (a choice no picker offered) before the API is called; ``field`` and ``conflict`` are
    ``refusal``'s.
    ``SignedOut`` is the caller's to handle."""
    try:
        post = await posted(request)
    except Refused as refused:
        return await refused_page(request, refused, page)
    if post.repeated:
        return RedirectResponse(f"{page}?repeated=1", status_code=303)
    values, errors = checked(model, post.fields, chosen_lang(request))
    if values is not None and vet is not None:
        errors = vet(values)
    if values is not None and not errors:
        answer = await call(values)
        if answer.status_code < 300:
            if shown is not None:
                return await shown(answer)
            return RedirectResponse(done(values), status_code=303)
        errors = refusal(request, answer, field, conflict)
    post.give_back(request)
    return await again(post.fields, errors)
