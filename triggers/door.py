"""What every request must be before anything reads it: a body that is JSON, by content type,
and bounded; query values of the right kind; and what a request is validated against
(:func:`request_limits`).

The Functions host itself accepts bodies of up to 100 MB; the API needs far less (a thousand
images fit in a few hundred KB), and a body it will refuse anyway should not be read, parsed or
echoed back at length.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated

import azure.functions as func
from pydantic import AfterValidator, StringConstraints

from migration.arm.locations import subscription_regions
from migration.config.settings import Settings
from migration.domain import rules
from migration.domain.body import FieldError
from migration.domain.validation import RequestLimits
from triggers import responses

# The largest body the API reads (a request for MAX_IMAGES_PER_REQUEST images fits well within).
MAX_BODY_BYTES = 1024 * 1024


def _printable(value: str) -> str:
    if error := rules.free_text_error(value):
        raise ValueError(error)
    return value


#: Who decided or cancelled, as a person writes it: logged and shown, so safe for both.
Person = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_printable)]
#: Why, in a person's words, under the same rule.
Reason = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_printable)]


def json_body(req: func.HttpRequest) -> bytes | func.HttpResponse:
    """The request's body, or the answer refusing it: 415 unless it says it is JSON, 413 when
    it is larger than :data:`MAX_BODY_BYTES`."""
    kind = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind != "application/json" and not (
        kind.startswith("application/") and kind.endswith("+json")
    ):
        return responses.problem_response(
            415,
            "unsupported-media-type",
            "The body must be JSON",
            f"Send the body as Content-Type: application/json (got '{kind or 'none'}').",
        )
    body = req.get_body() or b""
    if len(body) > MAX_BODY_BYTES:
        return responses.problem_response(
            413,
            "too-large",
            "The body is too large",
            f"The body is {len(body)} bytes; the most this API reads is {MAX_BODY_BYTES}.",
        )
    return body


def whole_number(
    req: func.HttpRequest,
    name: str,
    default: int,
    maximum: int,
    errors: list[FieldError],
    *,
    minimum: int = 1,
) -> int:
    """Query value ``name`` as a whole number within bounds (``default`` when absent); a bad one
    is added to ``errors`` (digits only: no sign, no spaces, no "1e3")."""
    raw = req.params.get(name)
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and minimum <= int(raw) <= maximum:
        return int(raw)
    errors.append(FieldError(field=name, message=f"a whole number from {minimum} to {maximum}"))
    return default


def request_limits(settings: Settings) -> RequestLimits:
    """The limits a request arriving now is validated with: the settings', and the regions of
    the gallery's subscription as ARM lists them (read once in a while, see
    :mod:`migration.arm.locations`). Validation then raises ``ArmError`` if ARM cannot say."""
    return dataclasses.replace(
        settings.request_limits(datetime.now(UTC)), regions=subscription_regions
    )
