"""The migration request: its model, its validation at the door, and errors naming each field.

Two layers, so that a request is validated once:

- :class:`MigrationRequest` and its parts are plain data: what an orchestration receives, already
  valid and in canonical form (ids, region names, durations). Reading one back from an
  orchestration's input checks types only; no rule runs again on a replay.
- The ``*Body`` subclasses add every rule that can be checked before anything starts. Only
  :func:`parse_request` uses them, with :class:`RequestLimits` taken from the app's settings at the
  time of the request, so that a bad request gets one answer listing all of its problems and
  nothing is started.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from migration.domain import rules
from migration.domain.durations import DurationError, format_duration, parse_duration
from migration.domain.ids import ResourceIdError, parse_gallery_id, parse_image_id


class DeleteSource(StrEnum):
    NEVER = "never"
    AFTER_APPROVAL = "afterApproval"
    AFTER_REPLICATION = "afterReplication"


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )

    def to_json(self) -> dict[str, Any]:
        """The camelCase JSON form, as requests and orchestration inputs carry it."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# -- the validated request, as orchestrations and plans read it --------------------------------


class DefinitionSpec(_Model):
    """An image definition to create or reuse; each part left out is derived."""

    name: str | None = None
    publisher: str | None = None
    offer: str | None = None
    sku: str | None = None


class ImageSpec(_Model):
    source: str
    definition: DefinitionSpec = Field(default_factory=DefinitionSpec)
    version: str | None = None


class TargetRegion(_Model):
    name: str
    replica_count: int | None = None
    expected_concurrent_deployments: int | None = None
    storage_account_type: str | None = None

    def replicas(self, default: int) -> int:
        if self.replica_count is not None:
            return self.replica_count
        if self.expected_concurrent_deployments is not None:
            return rules.replicas_for_deployments(self.expected_concurrent_deployments)
        return default


class MigrationRequest(_Model):
    gallery: str
    images: Sequence[ImageSpec]
    target_regions: Sequence[TargetRegion] = Field(default_factory=list)
    replica_count: int = 1
    storage_account_type: str | None = None
    end_of_life_date: datetime | None = None
    exclude_from_latest: bool = False
    delete_source: DeleteSource = DeleteSource.AFTER_APPROVAL
    approval_timeout: str | None = None

    def approval_timeout_or(self, default: timedelta) -> timedelta:
        return parse_duration(self.approval_timeout) if self.approval_timeout else default


# -- the request as it arrives: every rule checked once, at the door ---------------------------


@dataclass(frozen=True)
class RequestLimits:
    """What the rules that depend on the app's settings and on the time of the request take."""

    now: datetime
    max_images: int
    max_approval_timeout: timedelta


_BODY = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DefinitionSpecBody(DefinitionSpec):
    model_config = _BODY

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _check(value, rules.definition_name_error)

    @field_validator("publisher", "offer", "sku")
    @classmethod
    def _identifier(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return _check(value, lambda v: rules.identifier_part_error(str(info.field_name), v))


class ImageSpecBody(ImageSpec):
    model_config = _BODY
    definition: DefinitionSpecBody = Field(default_factory=DefinitionSpecBody)

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        try:
            return parse_image_id(value).id
        except ResourceIdError as error:
            raise ValueError(str(error)) from None

    @field_validator("version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        return _check(value, rules.version_name_error)


_Replicas = Annotated[int, Field(ge=rules.MIN_REPLICAS, le=rules.MAX_REPLICAS)]


class TargetRegionBody(TargetRegion):
    model_config = _BODY
    replica_count: _Replicas | None = None
    expected_concurrent_deployments: Annotated[int, Field(ge=1)] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if error := rules.region_name_error(value):
            raise ValueError(error)
        return rules.normalize_region(value)

    @field_validator("storage_account_type")
    @classmethod
    def _storage(cls, value: str | None) -> str | None:
        return _check(value, _storage_error)

    @model_validator(mode="after")
    def _replicas(self) -> TargetRegionBody:
        if self.replica_count is not None and self.expected_concurrent_deployments is not None:
            raise ValueError("give replicaCount or expectedConcurrentDeployments, not both")
        if self.expected_concurrent_deployments is not None:
            replicas = rules.replicas_for_deployments(self.expected_concurrent_deployments)
            if replicas > rules.MAX_REPLICAS:
                raise ValueError(
                    f"expectedConcurrentDeployments {self.expected_concurrent_deployments} needs "
                    f"{replicas} replicas; a region holds at most {rules.MAX_REPLICAS}"
                )
        return self


class RequestBody(MigrationRequest):
    model_config = _BODY
    images: Sequence[ImageSpecBody] = Field(min_length=1)
    target_regions: Sequence[TargetRegionBody] = Field(default_factory=list)
    replica_count: _Replicas = 1

    @field_validator("gallery")
    @classmethod
    def _gallery(cls, value: str) -> str:
        try:
            gallery = parse_gallery_id(value)
        except ResourceIdError as error:
            raise ValueError(str(error)) from None
        if problem := rules.gallery_name_error(gallery.name):
            raise ValueError(problem)
        return gallery.id

    @field_validator("images")
    @classmethod
    def _images(cls, images: Sequence[ImageSpecBody], info: ValidationInfo) -> list[ImageSpecBody]:
        limit = _limits(info).max_images
        if len(images) > limit:
            raise ValueError(f"at most {limit} images per request; split the work")
        return list(images)

    @field_validator("storage_account_type")
    @classmethod
    def _storage(cls, value: str | None) -> str | None:
        return _check(value, _storage_error)

    @field_validator("end_of_life_date", mode="before")
    @classmethod
    def _date_only(cls, value: Any) -> Any:
        # "2030-12-31" means the end of that day (UTC), as the portal treats a date.
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                return value
            return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
        return value

    @field_validator("end_of_life_date")
    @classmethod
    def _future(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if value <= _limits(info).now:
            raise ValueError(f"The end-of-life date {value.isoformat()} must be in the future.")
        return value

    @field_validator("approval_timeout")
    @classmethod
    def _timeout(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        try:
            parsed = parse_duration(value)
        except DurationError as error:
            raise ValueError(str(error)) from None
        limit = _limits(info).max_approval_timeout
        if parsed > limit:
            raise ValueError(f"at most {format_duration(limit)}")
        return format_duration(parsed)


class FieldError(BaseModel):
    field: str
    message: str


class RequestInvalid(ValueError):
    """The request breaks one or more rules; ``errors`` names each bad field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def parse_request(body: bytes | str | dict[str, Any], limits: RequestLimits) -> MigrationRequest:
    """Validate a request body; raise :class:`RequestInvalid` listing every problem."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError) as error:
            raise RequestInvalid([FieldError(field="", message=f"not JSON: {error}")]) from None
    if not isinstance(body, dict):
        raise RequestInvalid([FieldError(field="", message="the body must be a JSON object")])
    found = repeats(body)
    try:
        request = RequestBody.model_validate(body, context=limits)
    except ValidationError as error:
        raise RequestInvalid(field_errors(error) + found) from None
    if found:
        raise RequestInvalid(found)
    return request


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


def _check(value: str | None, rule: Any) -> str | None:
    if value is not None and (error := rule(value)):
        raise ValueError(error)
    return value


def _storage_error(value: str) -> str | None:
    if value in rules.STORAGE_ACCOUNT_TYPES:
        return None
    choices = ", ".join(rules.STORAGE_ACCOUNT_TYPES)
    return f"'{value}' is not a storage account type; use one of {choices}"


def _limits(info: ValidationInfo) -> RequestLimits:
    if not isinstance(info.context, RequestLimits):
        raise TypeError("a request body is validated by parse_request, with RequestLimits")
    return info.context
