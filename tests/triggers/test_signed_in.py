"""Who is signed in behind App Service Authentication, and when the headers are believed."""

from __future__ import annotations

import base64
import json

import azure.functions as func

from devhost.easy_auth import ClientPrincipal
from triggers.signed_in import signed_in

ANA = ClientPrincipal("4f1c-77", "ana@contoso.com")


def req(headers: dict[str, str]) -> func.HttpRequest:
    return func.HttpRequest("GET", "https://gm.example/api/x", headers=headers, body=b"")


def test_the_platforms_headers_name_the_caller() -> None:
    who = signed_in(req(ANA.headers()), easy_auth_enabled=True)
    assert who is not None
    assert who.record() == "ana@contoso.com (aad:4f1c-77)"


def test_without_the_authentication_module_nobody_is_believed() -> None:
    assert signed_in(req(ANA.headers()), easy_auth_enabled=False) is None


def test_headers_that_disagree_or_are_broken_name_nobody() -> None:
    mallory = {**ANA.headers(), "X-MS-CLIENT-PRINCIPAL-NAME": "ceo@contoso.com"}
    assert signed_in(req(mallory), easy_auth_enabled=True) is None
    broken = {**ANA.headers(), "X-MS-CLIENT-PRINCIPAL": "not base64!"}
    assert signed_in(req(broken), easy_auth_enabled=True) is None
    odd = base64.b64encode(json.dumps({"claims": "x"}).encode()).decode()
    assert signed_in(req({**ANA.headers(), "X-MS-CLIENT-PRINCIPAL": odd}), True) is None
    assert signed_in(req({"X-MS-CLIENT-PRINCIPAL-NAME": "ana"}), True) is None
    control = {**ANA.headers(), "X-MS-CLIENT-PRINCIPAL-NAME": "ana\u202e"}
    assert signed_in(req(control), True) is None
