"""Who is signed in, where App Service Authentication (Easy Auth) fronts the app.

The platform's authentication module injects the caller's identity as ``X-MS-CLIENT-PRINCIPAL*``
headers and strips any a client sends ("External requests aren't allowed to set these headers",
learn.microsoft.com/azure/app-service/configure-authentication-user-identities). Without the
module anyone could send them, so they are believed only when the platform says it is on
(``WEBSITE_AUTH_ENABLED``, ``Settings.easy_auth_enabled``).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

import azure.functions as func

from migration.domain import rules

PRINCIPAL = "x-ms-client-principal"
PRINCIPAL_ID = "x-ms-client-principal-id"
PRINCIPAL_NAME = "x-ms-client-principal-name"
PRINCIPAL_IDP = "x-ms-client-principal-idp"


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    name: str
    provider: str

    def record(self) -> str:
        """As a decision records it: the name, and the provider's id of the principal."""
        return f"{self.name} ({self.provider}:{self.user_id})"


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value or len(value) > 200 or rules.free_text_error(value):
        return None
    return value


def signed_in(req: func.HttpRequest, easy_auth_enabled: bool) -> SignedIn | None:
    """The signed-in caller, or None (nobody signed in, or no authentication module)."""
    if not easy_auth_enabled:
        return None
    user_id = _clean(req.headers.get(PRINCIPAL_ID))
    name = _clean(req.headers.get(PRINCIPAL_NAME))
    provider = _clean(req.headers.get(PRINCIPAL_IDP)) or "aad"
    if user_id is None or name is None:
        return None
    encoded = req.headers.get(PRINCIPAL)
    if encoded:
        # The full principal must agree with the short headers: they come from one module.
        try:
            payload = json.loads(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            return None
        claims = payload.get("claims") if isinstance(payload, dict) else None
        if not isinstance(claims, list):
            return None
        name_type = payload.get("name_typ")
        if not any(
            isinstance(c, dict) and c.get("typ") == name_type and c.get("val") == name
            for c in claims
        ):
            return None
    return SignedIn(user_id=user_id, name=name, provider=provider)
