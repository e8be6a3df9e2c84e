"""A request body as the door receives it, before its models: JSON within bounds, the items
that repeat one another, and every problem named by the field it is in.

:mod:`migration.domain.validation` validates a body with these; the triggers answer
:class:`RequestInvalid` as a 400 naming each :class:`FieldError`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ValidationError

from migration.domain import rules
from migration.domain.ids import ResourceIdError, parse_image_id


class FieldError(BaseModel):
    field: str
    message: str


class RequestInvalid(ValueError):
    """The request breaks one or more rules; ``errors`` names each bad field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


# The deepest nesting a request needs is five levels (targetRegions[].encryption.dataDisks[]).
MAX_DEPTH = 16


def load_json(raw: bytes | str) -> Any:
    """JSON text as data, refusing what is not plain, bounded JSON: NaN and infinities, numbers
    too large to be finite, and nesting deeper than :data:`MAX_DEPTH`."""
    try:
        value = json.loads(raw or b"null", parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise RequestInvalid([FieldError(field="", message="nested too deeply")]) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise RequestInvalid([FieldError(field="", message=f"not JSON: {error}")]) from None
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise RequestInvalid(
                [FieldError(field="", message=f"nested more than {MAX_DEPTH} levels deep")]
            )
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is too large")
    return number


def repeats(body: dict[str, Any]) -> list[FieldError]:
    """Each item that repeats an earlier one: a source, a definition's version, a region.

    Read from the raw JSON so that one bad item does not hide the repeats of the others.
    """
    found: list[FieldError] = []
    images = body.get("images")
    sources: dict[str, int] = {}
    slots: dict[tuple[str, str], int] = {}
    for index, image in enumerate(images if isinstance(images, list) else []):
        if not isinstance(image, dict):
            continue
        source = image.get("source")
        if isinstance(source, str):
            key = _source_key(source)
            if key in sources:
                found.append(
                    FieldError(
                        field=f"images[{index}].source",
                        message=f"repeats the source of images[{sources[key]}]",
                    )
                )
            else:
                sources[key] = index
        definition, version = image.get("definition"), image.get("version")
        name = definition.get("name") if isinstance(definition, dict) else None
        if isinstance(name, str) and isinstance(version, str) and name.strip():
            slot = (name.strip().lower(), version.strip())
            if slot in slots:
                found.append(
                    FieldError(
                        field=f"images[{index}].version",
                        message=f"images[{slots[slot]}] already asks for version "
                        f"{slot[1]} of definition {name.strip()}",
                    )
                )
            else:
                slots[slot] = index
    # populate_by_name: the field's own name is accepted beside its camelCase alias.
    regions = body.get("targetRegions", body.get("target_regions"))
    names: set[str] = set()
    for index, region in enumerate(regions if isinstance(regions, list) else []):
        name = region.get("name") if isinstance(region, dict) else None
        if not isinstance(name, str):
            continue
        key = rules.normalize_region(name)
        if key in names:
            found.append(
                FieldError(
                    field=f"targetRegions[{index}].name",
                    message="Duplicate regions are not allowed in target publishing regions.",
                )
            )
        names.add(key)
    return found


def _source_key(source: str) -> str:
    try:
        return parse_image_id(source).id.lower()
    except ResourceIdError:
        return source.strip().lower()


def field_errors(error: ValidationError) -> list[FieldError]:
    found: list[FieldError] = []
    for item in error.errors(include_url=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        found.append(FieldError(field=field_path(item["loc"]), message=message))
    return found


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("images", 0, "source")`` -> ``images[0].source``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path
