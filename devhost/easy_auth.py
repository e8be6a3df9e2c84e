"""App Service Authentication ("Easy Auth"), modelled minimally: the identity headers.

On App Service the authentication module sits in front of the app. It injects the caller's
identity as request headers, and external requests cannot set them ("External requests aren't
allowed to set these headers, so they're present only if set by App Service", Work with user
identities in Azure App Service authentication, learn.microsoft.com/azure/app-service/
configure-authentication-user-identities):

- ``X-MS-CLIENT-PRINCIPAL``: Base64 of ``{"auth_typ", "claims": [{"typ", "val"}], "name_typ",
  "role_typ"}``;
- ``X-MS-CLIENT-PRINCIPAL-ID``, ``-NAME``, ``-IDP``: the caller's id, human-readable name and
  identity provider.

With :class:`EasyAuth` on, devhost removes every ``X-MS-CLIENT-PRINCIPAL*`` and ``X-MS-TOKEN-*``
header a client sent and, when a test principal is signed in, adds that principal's headers;
it also sets ``WEBSITE_AUTH_ENABLED=True``, the app setting the platform sets (the Functions host
reads it). Who is signed in is devhost's own business, never a request's: the test sets
``host.easy_auth.principal`` (or ``--easy-auth FILE``). Sign-in, tokens, providers and the
module's own refusals of unauthenticated requests are not modelled (as with "allow unauthenticated
requests": the app decides).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

PRINCIPAL = "X-MS-CLIENT-PRINCIPAL"
PRINCIPAL_ID = "X-MS-CLIENT-PRINCIPAL-ID"
PRINCIPAL_NAME = "X-MS-CLIENT-PRINCIPAL-NAME"
PRINCIPAL_IDP = "X-MS-CLIENT-PRINCIPAL-IDP"
ENABLED_SETTING = "WEBSITE_AUTH_ENABLED"
# Microsoft Entra's claim types, as in the decoded example of the page above.
NAME_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
ROLE_CLAIM = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
_STRIPPED = ("x-ms-client-principal", "x-ms-token-")


@dataclass(frozen=True)
class ClientPrincipal:
    """A signed-in caller as the platform presents one: id, name, provider, roles, claims."""

    user_id: str
    name: str
    identity_provider: str = "aad"
    roles: tuple[str, ...] = ()
    claims: tuple[tuple[str, str], ...] = ()
    name_claim_type: str = NAME_CLAIM
    role_claim_type: str = ROLE_CLAIM

    def payload(self) -> dict[str, Any]:
        """The decoded ``X-MS-CLIENT-PRINCIPAL``: the name and roles are claims too."""
        claims = [{"typ": self.name_claim_type, "val": self.name}]
        claims += [{"typ": self.role_claim_type, "val": role} for role in self.roles]
        claims += [{"typ": typ, "val": val} for typ, val in self.claims]
        return {
            "auth_typ": self.identity_provider,
            "claims": claims,
            "name_typ": self.name_claim_type,
            "role_typ": self.role_claim_type,
        }

    def headers(self) -> dict[str, str]:
        encoded = base64.b64encode(json.dumps(self.payload()).encode("utf-8")).decode("ascii")
        return {
            PRINCIPAL: encoded,
            PRINCIPAL_ID: self.user_id,
            PRINCIPAL_NAME: self.name,
            PRINCIPAL_IDP: self.identity_provider,
        }

    @classmethod
    def from_json(cls, data: Any) -> ClientPrincipal:
        """``{"userId", "name", "identityProvider"?, "roles"?, "claims"?: [{"typ", "val"}]}``."""
        if not isinstance(data, dict):
            raise ValueError("a principal is a JSON object with userId and name")
        try:
            return cls(
                user_id=str(data["userId"]),
                name=str(data["name"]),
                identity_provider=str(data.get("identityProvider", "aad")),
                roles=tuple(str(r) for r in data.get("roles", [])),
                claims=tuple((str(c["typ"]), str(c["val"])) for c in data.get("claims", [])),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"a principal needs userId and name: {error}") from error


@dataclass
class EasyAuth:
    """Easy Auth on: ``principal`` is the signed-in test caller (None: nobody signed in)."""

    principal: ClientPrincipal | None = None

    @classmethod
    def from_file(cls, path: Path) -> EasyAuth:
        """A file holding a principal's JSON, or ``null`` for nobody signed in."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(None if data is None else ClientPrincipal.from_json(data))

    def apply(self, request: web.Request) -> web.Request:
        """The request as the app gets it behind the authentication module."""
        headers = CIMultiDict(
            (name, value)
            for name, value in request.headers.items()
            if not name.lower().startswith(_STRIPPED)
        )
        if self.principal is not None:
            headers.update(self.principal.headers())
        return request.clone(headers=headers)
