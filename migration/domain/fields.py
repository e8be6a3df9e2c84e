"""The rules for one field of a request body, and what they read.

:mod:`migration.domain.validation`'s ``*Body`` classes call these from their validators: a rule of
:mod:`migration.domain.rules` raised as pydantic wants it (:func:`check`), the field types whose
bounds or OpenAPI forms are code (:data:`Replicas`, :data:`Storage`, :data:`EndOfLife`), and the
checks that read the validation context (:class:`Context`): the :class:`RequestLimits` taken from
the app's settings, and the regions of the gallery's subscription.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationInfo, WithJsonSchema

from migration.domain import rules
from migration.domain.ids import ResourceIdError, parse_disk_encryption_set_id


@dataclass(frozen=True)
class RequestLimits:
    """What the rules that depend on the app's settings and on the time of the request take."""

    now: datetime
    max_images: int
    max_approval_timeout: timedelta
    # The regions a subscription has (ARM's locations list, read by the door); None: region
    # names are checked for their form only.
    regions: Callable[[str], Set[str]] | None = None


@dataclass(frozen=True)
class Context:
    """What the validators read: the limits, and the regions of the gallery's subscription."""

    limits: RequestLimits
    subscription: str = ""
    regions: Set[str] | None = None


# Every body model's config: unknown fields refused, strings stripped.
BODY = ConfigDict(extra="forbid", str_strip_whitespace=True)

Replicas = Annotated[int, Field(ge=rules.MIN_REPLICAS, le=rules.MAX_REPLICAS)]
# How the OpenAPI document describes fields whose rules are code: the choices, the forms.
Storage = Annotated[
    str | None,
    WithJsonSchema({"anyOf": [{"enum": list(rules.STORAGE_ACCOUNT_TYPES)}, {"type": "null"}]}),
]
EndOfLife = Annotated[
    datetime | None,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "format": "date-time"},
                {"type": "null"},
            ],
            "description": "A date (the end of that day, UTC) or a date and time; in the future.",
        }
    ),
]


def context(info: ValidationInfo) -> Context:
    if not isinstance(info.context, Context):
        raise TypeError("a request body is validated by parse_request, with RequestLimits")
    return info.context


def limits(info: ValidationInfo) -> RequestLimits:
    return context(info).limits


def region(value: str, info: ValidationInfo) -> str:
    """A region name in short form, and one the gallery's subscription has when that is known."""
    if error := rules.region_name_error(value):
        raise ValueError(error)
    name = rules.normalize_region(value)
    known = context(info)
    if known.regions is not None and name not in known.regions:
        raise ValueError(
            f"'{value}' is not a region of subscription {known.subscription} "
            "(ARM's locations list for it has no such physical region)"
        )
    return name


def check(value: str | None, rule: Any) -> str | None:
    if value is not None and (error := rule(value)):
        raise ValueError(error)
    return value


def one_of(value: str, choices: tuple[str, ...]) -> str:
    for choice in choices:
        if choice.lower() == value.strip().lower():
            return choice
    raise ValueError(f"'{value}' is not one of {', '.join(choices)}")


def security_type(value: str | None) -> str | None:
    check(value, rules.security_type_error)
    return None if value is None else rules.security_type(value)


def encryption_set(value: str) -> str:
    try:
        return parse_disk_encryption_set_id(value).id
    except ResourceIdError as error:
        raise ValueError(str(error)) from None


def storage_error(value: str) -> str | None:
    if value in rules.STORAGE_ACCOUNT_TYPES:
        return None
    choices = ", ".join(rules.STORAGE_ACCOUNT_TYPES)
    return f"'{value}' is not a storage account type; use one of {choices}"
