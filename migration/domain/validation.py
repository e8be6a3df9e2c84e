"""Validating a request at the door: every rule that can be checked before anything starts.

The ``*Body`` classes are the request's models (:mod:`migration.domain.request`) plus every rule
that spans a model (one field against another, a list against a limit); the rules for one field,
and the :class:`RequestLimits` they read, are in :mod:`migration.domain.fields`. Only
:func:`parse_request` uses the classes, with the limits taken from the app's settings at the time
of the request, so that a bad request gets one answer listing all of its problems and nothing is
started. What it returns is plain request data for the orchestration.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from migration.domain import fields, rules
from migration.domain.body import FieldError, RequestInvalid, field_errors, load_json, repeats
from migration.domain.durations import DurationError, format_duration, parse_duration
from migration.domain.fields import RequestLimits
from migration.domain.ids import (
    ResourceIdError,
    parse_disk_encryption_set_id,
    parse_gallery_id,
    parse_image_id,
    parse_scope,
)
from migration.domain.request import (
    DataDiskEncryption,
    DefinitionSpec,
    Encryption,
    ImageSpec,
    MigrationRequest,
    SelectionFilters,
    TargetRegion,
)

# RequestLimits is parse_request's argument: its callers import both from here.
__all__ = [
    "DataDiskEncryptionBody",
    "DefinitionSpecBody",
    "EncryptionBody",
    "ImageSpecBody",
    "RequestBody",
    "RequestLimits",
    "SelectionFiltersBody",
    "TargetRegionBody",
    "parse_request",
]


class DefinitionSpecBody(DefinitionSpec):
    model_config = fields.BODY

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return fields.check(value, rules.definition_name_error)

    @field_validator("publisher", "offer", "sku")
    @classmethod
    def _identifier(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return fields.check(value, lambda v: rules.identifier_part_error(str(info.field_name), v))

    @field_validator("security_type")
    @classmethod
    def _security(cls, value: str | None) -> str | None:
        return fields.security_type(value)


class ImageSpecBody(ImageSpec):
    model_config = fields.BODY
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
        return fields.check(value, rules.version_name_error)


class DataDiskEncryptionBody(DataDiskEncryption):
    model_config = fields.BODY
    lun: Annotated[int, Field(ge=0, le=rules.MAX_LUN)]

    @field_validator("disk_encryption_set_id")
    @classmethod
    def _set(cls, value: str) -> str:
        return fields.encryption_set(value)


class EncryptionBody(Encryption):
    model_config = fields.BODY
    data_disks: Sequence[DataDiskEncryptionBody] = Field(default_factory=list)

    @field_validator("os_disk_encryption_set_id", "data_disk_encryption_set_id")
    @classmethod
    def _set(cls, value: str | None) -> str | None:
        return None if value is None else fields.encryption_set(value)

    @model_validator(mode="after")
    def _something(self) -> EncryptionBody:
        if not self.set_ids():
            raise ValueError("name at least one disk encryption set")
        luns = [d.lun for d in self.data_disks]
        if len(luns) != len(set(luns)):
            raise ValueError("each data disk LUN at most once")
        return self


class TargetRegionBody(TargetRegion):
    model_config = fields.BODY
    storage_account_type: fields.Storage = None
    replica_count: fields.Replicas | None = None
    expected_concurrent_deployments: Annotated[int, Field(ge=1)] | None = None
    encryption: EncryptionBody | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str, info: ValidationInfo) -> str:
        return fields.region(value, info)

    @field_validator("storage_account_type")
    @classmethod
    def _storage(cls, value: str | None) -> str | None:
        return fields.check(value, fields.storage_error)

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


class SelectionFiltersBody(SelectionFilters):
    model_config = fields.BODY
    tags: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=512)],
        Annotated[str, StringConstraints(max_length=256)] | None,
    ] = Field(default_factory=dict, max_length=50)
    name_pattern: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    locations: Sequence[Annotated[str, AfterValidator(fields.region)]] = Field(
        default_factory=list, max_length=100
    )

    @field_validator("os_type")
    @classmethod
    def _os(cls, value: str | None) -> str | None:
        return None if value is None else fields.one_of(value, ("Linux", "Windows"))

    @field_validator("hyper_v_generation")
    @classmethod
    def _generation(cls, value: str | None) -> str | None:
        return None if value is None else fields.one_of(value, ("V1", "V2"))


class RequestBody(MigrationRequest):
    model_config = ConfigDict(
        **fields.BODY,
        # Images, or scopes to select them from (see _something_to_migrate).
        json_schema_extra={
            "anyOf": [
                {"required": ["images"], "properties": {"images": {"minItems": 1}}},
                {"required": ["scopes"], "properties": {"scopes": {"minItems": 1}}},
            ],
        },
    )
    images: Sequence[ImageSpecBody] = Field(default_factory=list)
    scopes: Sequence[str] = Field(default_factory=list, max_length=50)
    filters: SelectionFiltersBody = Field(default_factory=SelectionFiltersBody)
    target_regions: Sequence[TargetRegionBody] = Field(default_factory=list)
    replica_count: fields.Replicas = 1
    storage_account_type: fields.Storage = None
    end_of_life_date: fields.EndOfLife = None
    approval_timeout: str | None = Field(
        default=None, description="An ISO 8601 duration (P3D, PT12H), at most the app's limit."
    )

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: Sequence[str]) -> list[str]:
        scopes = []
        for item in value:
            try:
                scopes.append(str(parse_scope(item)))
            except ResourceIdError as error:
                raise ValueError(str(error)) from None
        if len({s.lower() for s in scopes}) != len(scopes):
            raise ValueError("each scope at most once")
        return scopes

    @model_validator(mode="after")
    def _something_to_migrate(self) -> RequestBody:
        if not self.images and not self.scopes:
            raise ValueError("name images, or scopes to select them from (or both)")
        return self

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
        limit = fields.limits(info).max_images
        if len(images) > limit:
            raise ValueError(f"at most {limit} images per request; split the work")
        return list(images)

    @field_validator("storage_account_type")
    @classmethod
    def _storage(cls, value: str | None) -> str | None:
        return fields.check(value, fields.storage_error)

    @field_validator("security_type")
    @classmethod
    def _security(cls, value: str | None) -> str | None:
        return fields.security_type(value)

    @model_validator(mode="after")
    def _encryption(self) -> RequestBody:
        # The service's rules for disk encryption sets that need no read: every region encrypted
        # or none, and every set in the version's subscription (the gallery's).
        encrypted = [r.name for r in self.target_regions if r.encryption]
        if encrypted and len(encrypted) != len(self.target_regions):
            plain = [r.name for r in self.target_regions if not r.encryption]
            raise ValueError(
                "if one target region is encrypted every one must be; not encrypted: "
                + ", ".join(plain)
            )
        gallery = parse_gallery_id(self.gallery).subscription.lower()
        for set_id in self.encryption_set_ids():
            if parse_disk_encryption_set_id(set_id).subscription.lower() != gallery:
                raise ValueError(
                    f"disk encryption set {set_id} must be in the gallery's subscription "
                    f"({gallery}), where the version lives"
                )
        return self

    @field_validator("end_of_life_date", mode="before")
    @classmethod
    def _date_only(cls, value: Any) -> Any:
        # A date or a date and time, written as a string (never a number of seconds).
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError("an ISO 8601 date or date and time, as a string")
        # "2030-12-31" means the end of that day (UTC), as the portal treats a date.
        if len(value.strip()) == 10:
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
        if value <= fields.limits(info).now:
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
        limit = fields.limits(info).max_approval_timeout
        if parsed > limit:
            raise ValueError(f"at most {format_duration(limit)}")
        return format_duration(parsed)


def parse_request(body: bytes | str | dict[str, Any], limits: RequestLimits) -> MigrationRequest:
    """Validate a request body; raise :class:`RequestInvalid` listing every problem.

    Types are strict, as JSON spells them: no ``"2"`` for a number, no ``"yes"`` or ``1`` for a
    boolean, no number for a date. With ``limits.regions``, every region named must be one the
    gallery's subscription has (the lookup's own errors, an ARM read failing, pass through).
    """
    if isinstance(body, bytes | str):
        body = load_json(body)
    if not isinstance(body, dict):
        raise RequestInvalid([FieldError(field="", message="the body must be a JSON object")])
    found = repeats(body)
    context = fields.Context(limits)
    if limits.regions is not None and (subscription := _gallery_subscription(body)):
        context = fields.Context(limits, subscription, limits.regions(subscription))
    try:
        request = RequestBody.model_validate_json(json.dumps(body), strict=True, context=context)
    except ValidationError as error:
        raise RequestInvalid(field_errors(error) + found) from None
    if found:
        raise RequestInvalid(found)
    return request


def _gallery_subscription(body: dict[str, Any]) -> str | None:
    """The subscription of the body's gallery, if it names one that is a valid id."""
    gallery = body.get("gallery")
    try:
        return parse_gallery_id(gallery).subscription if isinstance(gallery, str) else None
    except ResourceIdError:
        return None
