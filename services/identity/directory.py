"""Where users and gateway clients live: Keycloak (distributed topology) or the identity tables (embedded).

The service layer keeps the registry rows (``idn_users``, ``idn_gateway_clients``) in both topologies and
asks an ``IdentityDirectory`` for the part only the token issuer can do: credentials, roles and claims.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from keycloak import KeycloakAdmin, KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakConnectionError, KeycloakError
from sqlalchemy.orm import Session

from services.identity.models import DevCredential
from services.kit.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed, field_error
from services.kit.messages import Msg, Verbatim
from services.kit.settings import PlatformSettings
from services.kit.slots import Slot

T = TypeVar("T")

# scrypt at the cost OWASP recommends for interactive logins (N=2^14, r=8, p=1: 16 MiB, ~50 ms).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def secret_matches(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(
        secret.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(actual, expected)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class NewUser:
    username: str
    password: str
    temporary: bool
    role: str
    org_id: str
    email: str
    first_name: str
    last_name: str


class IdentityDirectory(Protocol):
    """Credentials, roles and token claims of people and gateway clients."""

    def create_user(self, user: NewUser) -> str:
        """Create the user with its password, role and ``org_id``; returns the directory's user id."""
        ...

    def register_gateway(self, *, client_id: str, org_id: str, factory_id: str, description: str) -> str:
        """A client-credentials client with role gateway and fixed org/factory claims; returns its secret."""
        ...

    def rotate_secret(self, client_id: str) -> str:
        """A new secret for the client (the old one stops working); returns it."""
        ...

    def disable_client(self, client_id: str) -> None:
        """The client gets no more tokens."""
        ...


class EmbeddedDirectory:
    """The embedded topology's directory: hashes in ``idn_dev_credentials``; roles and claims come from the
    registry rows the service writes (read by the development token endpoint)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _store(self, kind: str, name: str, secret: str) -> None:
        row = self.session.get(DevCredential, (kind, name))
        if row is None:
            self.session.add(DevCredential(kind=kind, name=name, secret_hash=hash_secret(secret)))
        else:
            row.secret_hash = hash_secret(secret)
        self.session.flush()

    def create_user(self, user: NewUser) -> str:
        self._store("user", user.username, user.password)
        return f"dev-user-{user.username}"

    def _client_secret(self, client_id: str) -> str:
        secret = new_secret()
        self._store("client", client_id, secret)
        return secret

    def register_gateway(self, *, client_id: str, org_id: str, factory_id: str, description: str) -> str:
        return self._client_secret(client_id)

    def rotate_secret(self, client_id: str) -> str:
        return self._client_secret(client_id)

    def disable_client(self, client_id: str) -> None:
        # The registry row's ``enabled`` flag is what the development token endpoint checks.
        return None


def _claim(name: str, value: str) -> dict[str, Any]:
    return {
        "name": name,
        "protocol": "openid-connect",
        "protocolMapper": "oidc-hardcoded-claim-mapper",
        "config": {
            "claim.name": name,
            "claim.value": value,
            "jsonType.label": "String",
            "access.token.claim": "true",
            "id.token.claim": "false",
            "userinfo.token.claim": "false",
            "introspection.token.claim": "true",
        },
    }


# Keycloak's names of the user fields, as the request body names them.
_BODY_FIELDS = {"firstName": "first_name", "lastName": "last_name", "email": "email", "username": "username"}


def _refused_value(what: str, exc: KeycloakError) -> ValidationFailed:
    """Keycloak's 400 (its user profile or password policy refused a value) as the platform's 422."""
    try:
        answer = json.loads(exc.response_body or b"{}")
    except ValueError:
        answer = {}
    reason = str(answer.get("errorMessage") or answer.get("error_description") or answer.get("error") or exc)
    loc = "body." + _BODY_FIELDS.get(str(answer.get("field")), "password" if "password" in reason else "")
    return ValidationFailed(
        Msg("Keycloak refused to {what}: {reason}", what=what, reason=reason),
        fields=[field_error(loc.rstrip("."), Verbatim(reason))],
    )


class KeycloakDirectory:
    """Keycloak's admin API, as the ``smartmfg-api`` client's service account (manage-users/-clients)."""

    def __init__(self, settings: PlatformSettings) -> None:
        self._connection = KeycloakOpenIDConnection(
            server_url=settings.keycloak.url,
            realm_name=settings.keycloak.realm,
            user_realm_name=settings.keycloak.realm,
            client_id=settings.keycloak.client_id,
            client_secret_key=settings.keycloak.client_secret,
            timeout=15,
        )
        self.admin = KeycloakAdmin(connection=self._connection)

    @staticmethod
    def _call(what: str, action: Callable[[], T]) -> T:
        """Run one admin API call, its failures turned into the platform's errors."""
        try:
            return action()
        except KeycloakConnectionError as exc:
            raise ServiceUnavailable(
                Msg("Keycloak unreachable while trying to {what}", what=what), headers={"Retry-After": "5"}
            ) from exc
        except KeycloakError as exc:
            if exc.response_code == 409:
                raise Conflict(Msg("Keycloak already knows this name ({what})", what=what)) from exc
            if exc.response_code == 400:
                raise _refused_value(what, exc) from exc
            raise ServiceUnavailable(
                Msg(
                    "Keycloak refused to {what}: {response_code} {error_message!r}",
                    what=what,
                    response_code=exc.response_code,
                    error_message=exc.error_message,
                )
            ) from exc

    def _client_uuid(self, client_id: str) -> str:
        uuid = self._call("find the client", lambda: self.admin.get_client_id(client_id))
        if uuid is None:
            raise NotFound(Msg("Keycloak has no client '{client_id}'", client_id=client_id))
        return uuid

    def _assign_realm_role(self, user_id: str, name: str) -> None:
        """Map a realm role to the user. The role is taken from the roles assignable to that user: reading
        one role by name needs ``view-realm``, which this service account does not hold (and need not)."""
        available = self._call(
            "list the assignable realm roles", lambda: self.admin.get_available_realm_roles_of_user(user_id)
        )
        role = next((r for r in available if r.get("name") == name), None)
        if role is None:
            raise ServiceUnavailable(
                Msg(
                    "Keycloak has no realm role '{name}' to assign (see infra/keycloak/realm.json)", name=name
                )
            )
        self._call(f"assign the role {name}", lambda: self.admin.assign_realm_roles(user_id, [role]))

    def create_user(self, user: NewUser) -> str:
        payload = {
            "username": user.username,
            "enabled": True,
            "email": user.email,
            "emailVerified": True,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "attributes": {"org_id": [user.org_id]},
            "credentials": [{"type": "password", "value": user.password, "temporary": user.temporary}],
        }
        user_id = self._call("create the user", lambda: self.admin.create_user(payload))
        try:
            self._assign_realm_role(str(user_id), user.role)
        except Exception:
            self.admin.delete_user(user_id)  # no half-made user (without role) stays behind
            raise
        return str(user_id)

    def register_gateway(self, *, client_id: str, org_id: str, factory_id: str, description: str) -> str:
        payload = {
            "clientId": client_id,
            "name": f"Edge gateway {factory_id}",
            "description": description,
            "enabled": True,
            "publicClient": False,
            "clientAuthenticatorType": "client-secret",
            "serviceAccountsEnabled": True,
            "standardFlowEnabled": False,
            "implicitFlowEnabled": False,
            "directAccessGrantsEnabled": False,
            "frontchannelLogout": False,
            "attributes": {"client_credentials.use_refresh_token": "false"},
            "protocolMappers": [_claim("org_id", org_id), _claim("factory_id", factory_id)],
        }
        uuid = self._call("create the client", lambda: self.admin.create_client(payload))
        try:
            account = self._call(
                "find its service account", lambda: self.admin.get_client_service_account_user(uuid)
            )
            self._assign_realm_role(str(account["id"]), "gateway")
            secret = self._call("read the secret", lambda: self.admin.get_client_secrets(uuid))
        except Exception:
            self.admin.delete_client(uuid)
            raise
        return str(secret["value"])

    def rotate_secret(self, client_id: str) -> str:
        uuid = self._client_uuid(client_id)
        secret = self._call("regenerate the secret", lambda: self.admin.generate_client_secrets(uuid))
        return str(secret["value"])

    def disable_client(self, client_id: str) -> None:
        uuid = self._client_uuid(client_id)
        self._call("disable the client", lambda: self.admin.update_client(uuid, {"enabled": False}))


KEYCLOAK_DIRECTORY: Slot[IdentityDirectory] = Slot("identity_directory")  # where no development issuer runs
