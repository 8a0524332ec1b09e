"""Who may open a workspace, and where each role lands after signing in.

A workspace handler names its visitor with one ``Annotated`` dependency (``AgencyDesk``, ``SmeDesk`` …):
the dependency either answers the visitor and their API view or raises, and ``install`` turns what it
raises into the redirect, once for every handler. A visitor who is not signed in, or whose token an API
refuses in the middle of a page (``SignedOut``), is sent to sign in and back to the page they were on;
a signed-in visitor without the role is sent to their own landing (``TurnedAway``).

A page's role check only chooses what to show; every action is decided again by the API with the
visitor's token (a reviewer of another region is refused there, whatever page they post from).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, NamedTuple

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.routing import Match

from platform_api.portal.api import PortalApi, SignedOut
from platform_api.portal.auth import SESSION_COOKIE, signed_in
from services.kit.principal import Principal, Role

# The workspace home of each role, the first that applies; roles without one keep their former landing.
HOMES = (
    (Role.ADMIN, "/me/operator"),
    (Role.AGENCY, "/me/agency"),
    (Role.EVALUATOR, "/me/evaluator"),
    (Role.VENDOR, "/me/vendor"),
)
LANDING = "/me"


def home_of(principal: Principal) -> str | None:
    return next((path for role, path in HOMES if role in principal.roles), None)


def to_login(path: str) -> RedirectResponse:
    response = RedirectResponse(f"/login?next={path}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class TurnedAway(Exception):
    """A signed-in visitor a workspace does not serve: they go to ``to`` instead."""

    def __init__(self, to: str = LANDING) -> None:
        super().__init__(to)
        self.to = to


class Desk(NamedTuple):
    """The visitor of a workspace and the APIs as they call them."""

    principal: Principal
    api: PortalApi


def desk(role: Role, *, organisation: bool = False) -> Callable[[Request], Awaitable[Desk]]:
    """The dependency admitting holders of ``role`` (and of an organisation, when the page is one's)."""

    async def admit(request: Request) -> Desk:
        principal = await signed_in(request)
        if principal is None:
            raise SignedOut
        if not principal.has_any(role) or (organisation and not principal.org_id):
            raise TurnedAway
        return Desk(principal, PortalApi(request, principal))

    return admit


AgencyDesk = Annotated[Desk, Depends(desk(Role.AGENCY))]
SmeDesk = Annotated[Desk, Depends(desk(Role.SME))]
EvaluatorDesk = Annotated[Desk, Depends(desk(Role.EVALUATOR))]
OperatorDesk = Annotated[Desk, Depends(desk(Role.ADMIN))]
# The SME's factory dashboard and the supplier's page are their organisation's.
FactoryDesk = Annotated[Desk, Depends(desk(Role.SME, organisation=True))]
SupplierDesk = Annotated[Desk, Depends(desk(Role.VENDOR, organisation=True))]


def page_of(request: Request) -> str:
    """The page to come back to after signing in: the one asked for, or for a form the nearest page at
    or above the address it posted to (``/me/sme/consents/7/revoke`` → ``/me/sme``), else the landing."""
    path = request.url.path
    if request.method in ("GET", "HEAD"):
        return path
    while path.count("/") > 1:
        scope = {"type": "http", "path": path, "method": "GET"}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            return path
        path = path.rsplit("/", 1)[0]
    return LANDING


async def _signed_out(request: Request, _: Exception) -> Response:
    return to_login(page_of(request))


async def _turned_away(_: Request, away: Exception) -> Response:
    assert isinstance(away, TurnedAway)
    return RedirectResponse(away.to, status_code=303)


def install(app: FastAPI) -> None:
    """Answer what the workspace dependencies raise, for every portal page."""
    app.add_exception_handler(SignedOut, _signed_out)
    app.add_exception_handler(TurnedAway, _turned_away)
