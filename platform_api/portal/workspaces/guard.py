"""Who may open a workspace, and where each role lands after signing in.

A page's role check only chooses what to show; every action is decided again by the API with the
visitor's token (a reviewer of another region is refused there, whatever page they post from).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from platform_api.portal.api import PortalApi
from platform_api.portal.auth import SESSION_COOKIE, signed_in
from services.kit.principal import Principal, Role

# The workspace home of each role, the first that applies; roles without one keep their former landing.
HOMES = ((Role.ADMIN, "/me/operator"), (Role.AGENCY, "/me/agency"), (Role.EVALUATOR, "/me/evaluator"))


def home_of(principal: Principal) -> str | None:
    return next((path for role, path in HOMES if role in principal.roles), None)


def to_login(path: str) -> RedirectResponse:
    response = RedirectResponse(f"/login?next={path}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def workspace_of(request: Request, role: Role) -> tuple[Principal, PortalApi] | Response:
    """The visitor and their API view, or where to send them (sign in; their own landing)."""
    principal = await signed_in(request)
    if principal is None:
        return to_login(request.url.path)
    if not principal.has_any(role):
        return RedirectResponse("/me", status_code=303)
    return principal, PortalApi(request, principal)
