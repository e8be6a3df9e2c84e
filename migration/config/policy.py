"""Event Grid policy: which written managed images to migrate, where to, and how.

Read from app settings (``EVENTGRID_*``); an event that does not apply is told apart from one that
does without touching anything, so that it can be ignored with a log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from migration.config.settings import Settings, SettingsError, split_list
from migration.domain.body import RequestInvalid
from migration.domain.facts import ImageFacts
from migration.domain.ids import ResourceIdError, parse_image_id, parse_version_id
from migration.domain.request import MigrationRequest
from migration.domain.validation import RequestLimits, parse_request

WRITE_SUCCESS = "microsoft.resources.resourcewritesuccess"
WRITE_FAILURE = "microsoft.resources.resourcewritefailure"
CREATED_OR_UPDATED = "microsoft.resourcenotifications.resources.createdorupdated"
IMAGE_WRITE = "microsoft.compute/images/write"
VERSION_WRITE = "microsoft.compute/galleries/images/versions/write"
VERSION_TYPE = "microsoft.compute/galleries/images/versions"
DEFAULT_OPT_IN_TAG = "migrateToGallery"
_FALSE = {"false", "no", "0", "off"}


@dataclass(frozen=True)
class EventGridPolicy:
    gallery: str
    target_regions: tuple[dict[str, Any], ...]
    delete_source: str
    approval_timeout: str | None
    storage_account_type: str | None
    opt_in: str  # "tag" or "all"
    opt_in_tag: str

    @classmethod
    def from_env(cls, env: Mapping[str, str], settings: Settings) -> EventGridPolicy | None:
        """The configured policy, ``None`` when Event Grid migration is not configured.

        Checked whole against ``settings`` (a probe request), so a bad value fails here, once,
        rather than on every event.
        """
        gallery = env.get("EVENTGRID_GALLERY_ID", "").strip()
        if not gallery:
            return None
        opt_in = env.get("EVENTGRID_OPT_IN", "tag").strip().lower()
        if opt_in not in {"tag", "all"}:
            raise SettingsError(f"EVENTGRID_OPT_IN: '{opt_in}' is neither 'tag' nor 'all'.")
        policy = cls(
            gallery=gallery,
            target_regions=tuple(_regions(env.get("EVENTGRID_TARGET_REGIONS", ""))),
            delete_source=env.get("EVENTGRID_DELETE_SOURCE", "afterApproval").strip(),
            approval_timeout=env.get("EVENTGRID_APPROVAL_TIMEOUT") or None,
            storage_account_type=env.get("EVENTGRID_STORAGE_ACCOUNT_TYPE") or None,
            opt_in=opt_in,
            opt_in_tag=env.get("EVENTGRID_OPT_IN_TAG") or DEFAULT_OPT_IN_TAG,
        )
        try:
            policy.request_for(
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"
                "/providers/Microsoft.Compute/images/probe",
                settings.request_limits(datetime.now(UTC)),
            )
        except RequestInvalid as error:
            raise SettingsError(f"EVENTGRID_* settings: {error}") from None
        return policy

    def request_for(self, image_id: str, limits: RequestLimits) -> MigrationRequest:
        body: dict[str, Any] = {
            "gallery": self.gallery,
            "images": [{"source": image_id}],
            "targetRegions": list(self.target_regions),
            "deleteSource": self.delete_source,
        }
        if self.approval_timeout:
            body["approvalTimeout"] = self.approval_timeout
        if self.storage_account_type:
            body["storageAccountType"] = self.storage_account_type
        return parse_request(body, limits)

    def opted_in(self, image: ImageFacts) -> bool:
        if self.opt_in == "all":
            return True
        tags = {k.lower(): v for k, v in image.tags.items()}
        value = tags.get(self.opt_in_tag.lower())
        return value is not None and value.strip().lower() not in _FALSE


def written_image(event_type: Any, subject: Any, data: Any) -> tuple[str | None, str]:
    """The managed image an event says was written, or ``None`` and why the event is ignored.

    Anything may arrive in any field (a delivery is whatever was posted): what is not the
    expected text is ignored, and the reason quotes it bounded and escaped (see :func:`shown`).
    """
    if not isinstance(event_type, str) or event_type.strip().lower() != WRITE_SUCCESS:
        return None, f"event type {shown(event_type)} is not ResourceWriteSuccess"
    data = data if isinstance(data, dict) else {}
    operation = data.get("operationName")
    if not isinstance(operation, str) or operation.lower() != IMAGE_WRITE:
        return None, f"operation {shown(operation)} is not {IMAGE_WRITE}"
    status = data.get("status", "Succeeded")
    if not isinstance(status, str) or status.lower() != "succeeded":
        return None, f"operation status is {shown(status)}"
    resource = data.get("resourceUri") or subject
    if not isinstance(resource, str):
        return None, f"{shown(resource)} is not a managed image id"
    try:
        return parse_image_id(resource).id, ""
    except ResourceIdError:
        return None, f"{shown(resource)} is not a managed image id"


# The most of an untrusted value a log line quotes.
MAX_SHOWN = 200


def shown(value: Any) -> str:
    """An untrusted value as a log line may quote it: escaped (no control character can start a
    forged line) and bounded."""
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def written_version(event_type: str, subject: str, data: Any) -> tuple[str | None, str]:
    """The image version an event says was written (a hint to read it: success or failure,
    from a subscription or resource group system topic, or Azure Resource Notifications), or
    ``None`` and why the event is ignored."""
    kind = event_type.strip().lower()
    data = data if isinstance(data, dict) else {}
    if kind in (WRITE_SUCCESS, WRITE_FAILURE):
        operation = str(data.get("operationName") or "")
        if operation.lower() != VERSION_WRITE:
            return None, f"operation {operation or '(none)'} is not {VERSION_WRITE}"
        resource = str(data.get("resourceUri") or subject or "")
    elif kind == CREATED_OR_UPDATED:
        info = data.get("resourceInfo")
        info = info if isinstance(info, dict) else {}
        if str(info.get("type") or "").lower() != VERSION_TYPE:
            return None, f"resource type {info.get('type') or '(none)'} is not {VERSION_TYPE}"
        resource = str(info.get("id") or subject or "")
    else:
        return None, f"event type {event_type or '(none)'} is not a resource write"
    try:
        return parse_version_id(resource), ""
    except ResourceIdError:
        return None, f"'{resource[:300]}' is not an image version id"


def _regions(value: str) -> list[dict[str, Any]]:
    """``eastus=2:Standard_ZRS, westus2`` -> target regions (replicas and storage optional)."""
    regions = []
    for item in split_list(value):
        name, _, rest = item.partition("=")
        replicas, _, storage = rest.partition(":")
        if ":" in name:
            name, _, storage = name.partition(":")
        region: dict[str, Any] = {"name": name}
        if replicas:
            try:
                region["replicaCount"] = int(replicas)
            except ValueError:
                raise SettingsError(
                    f"EVENTGRID_TARGET_REGIONS: '{item}' has a replica count that is not a number."
                ) from None
        if storage:
            region["storageAccountType"] = storage
        regions.append(region)
    return regions
