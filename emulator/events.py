"""What Event Grid's system topics raise for a resource write, and which subscriptions get it.

Two topics are modelled (see docs/emulator.md, "Event Grid"):

- the Azure subscription and resource group system topics raise
  ``Microsoft.Resources.ResourceWriteSuccess`` (``ResourceWriteFailure`` for a failed write) with
  ARM's authorization, claims and ``data.operationName`` such as
  ``Microsoft.Compute/galleries/images/versions/write``, but not the resource itself
  (learn.microsoft.com/azure/event-grid/event-schema-subscriptions);
- Azure Resource Notifications raise ``Microsoft.ResourceNotifications.Resources.CreatedOrUpdated``
  for a successful write, at subscription scope only, carrying the resource's payload in
  ``data.resourceInfo`` with ``apiVersion`` and ``operationalInfo.resourceEventTime``
  (learn.microsoft.com/azure/event-grid/event-schema-resources).

Each event is built once and shaped per subscription, in the Event Grid schema or CloudEvents 1.0.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from emulator import ids
from emulator.config import DeliveryBehaviour, EmulatorConfig, EventSchema, EventSubscription
from emulator.records import ResourceWrite
from emulator.resources import timestamp
from emulator.routing import COMPUTE_API_VERSIONS, GALLERY_API_VERSIONS

WRITE_SUCCESS = "Microsoft.Resources.ResourceWriteSuccess"
WRITE_FAILURE = "Microsoft.Resources.ResourceWriteFailure"
CREATED_OR_UPDATED = "Microsoft.ResourceNotifications.Resources.CreatedOrUpdated"
IMAGE_WRITE = "Microsoft.Compute/images/write"
VERSION_WRITE = "Microsoft.Compute/galleries/images/versions/write"
NOTIFICATIONS = "Microsoft.ResourceNotifications.Resources"
#: The subscription ``event_grid_webhook`` stands for: image writes, as the app subscribes to them.
IMAGE_WRITES = "EMULATOR-IMAGE-WRITES"
VERSION_WRITES = "EMULATOR-VERSION-WRITES"


@dataclass(frozen=True)
class Event:
    """One event as a system topic raises it, before a subscription's schema shapes it."""

    id: str
    type: str
    subject: str
    time: str
    data: dict[str, Any]
    data_version: str
    #: ``True`` for Azure Resource Notifications, ``False`` for the subscription/group topics.
    notification: bool
    resource_type: str
    #: ``data.operationName`` of a system topic's event.
    operation_name: str | None
    subscription_id: str
    resource_group: str | None


def subscriptions_of(config: EmulatorConfig) -> tuple[EventSubscription, ...]:
    """The configured event subscriptions, ``event_grid_webhook`` first when it is set."""
    if config.event_grid_webhook is None:
        return config.event_subscriptions
    images = EventSubscription(
        name=IMAGE_WRITES,
        endpoint=config.event_grid_webhook,
        event_schema=config.eventgrid_schema,
        included_event_types=(WRITE_SUCCESS,),
        operation_names=(IMAGE_WRITE,),
        delivery=DeliveryBehaviour(max_attempts=config.eventgrid_max_attempts),
    )
    return (images, *config.event_subscriptions)


def version_writes(endpoint: str, schema: EventSchema = "EventGrid") -> EventSubscription:
    """A subscription to version writes, success or failure, as an app that watches replication
    would make on the subscription's system topic (``--version-events-webhook``)."""
    return EventSubscription(
        name=VERSION_WRITES,
        endpoint=endpoint,
        event_schema=schema,
        included_event_types=(WRITE_SUCCESS, WRITE_FAILURE),
        operation_names=(VERSION_WRITE,),
    )


def subject_of(resource_id: str) -> str:
    # Event Grid's subjects for ARM events spell ``resourcegroups`` in lower case; consumers
    # must compare ids case-insensitively.
    parts = resource_id.split("/")
    return "/".join(
        "resourcegroups" if part.lower() == "resourcegroups" else part for part in parts
    )


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _where(write: ResourceWrite) -> tuple[str, str | None]:
    parsed = ids.parse_id(write.resource_id)
    assert parsed is not None  # only stored resources are written
    return parsed.subscription, parsed.resource_group


def system_event(write: ResourceWrite, tenant_id: str, rng: random.Random) -> Event:
    """``ResourceWriteSuccess`` (or ``ResourceWriteFailure``) for ``write``."""
    event_id, correlation_id = _uuid(rng), _uuid(rng)
    subscription, group = _where(write)
    action = f"{write.resource_type}/write"
    data: dict[str, Any] = {
        "authorization": {
            "scope": write.resource_id,
            "action": action,
            "evidence": {
                "role": "Contributor",
                "roleAssignmentScope": f"/subscriptions/{subscription}",
                "roleAssignmentId": "00000000000000000000000000000001",
                "roleDefinitionId": "b24988ac618042a0ab8820f7382dd24c",
                "principalId": "00000000000000000000000000000002",
                "principalType": "ServicePrincipal",
            },
        },
        "claims": {
            "aud": "https://management.azure.com/",
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "appid": "00000000-0000-0000-0000-000000000003",
        },
        "correlationId": correlation_id,
        "resourceProvider": ids.PROVIDER,
        "resourceUri": write.resource_id,
        "operationName": action,
        "status": write.status,
        "subscriptionId": subscription,
        "tenantId": tenant_id,
    }
    if write.request is not None:
        data["httpRequest"] = dict(write.request)
    return Event(
        id=event_id,
        type=WRITE_SUCCESS if write.status == "Succeeded" else WRITE_FAILURE,
        subject=subject_of(write.resource_id),
        time=timestamp(write.time),
        data=data,
        data_version="2",
        notification=False,
        resource_type=write.resource_type,
        operation_name=action,
        subscription_id=subscription,
        resource_group=group,
    )


def notification_event(write: ResourceWrite, rng: random.Random) -> Event:
    """``CreatedOrUpdated`` for a successful ``write``, with the resource's payload."""
    subscription, group = _where(write)
    info = {key: write.payload[key] for key in ("id", "name", "type", "location", "tags")}
    info["properties"] = write.payload.get("properties", {})
    return Event(
        id=_uuid(rng),
        type=CREATED_OR_UPDATED,
        subject=write.resource_id,
        time=timestamp(write.time),
        data={
            "resourceInfo": info,
            "apiVersion": _api_version(write),
            "operationalInfo": {"resourceEventTime": timestamp(write.time)},
        },
        data_version="1",
        notification=True,
        resource_type=write.resource_type,
        operation_name=None,
        subscription_id=subscription,
        resource_group=group,
    )


def _api_version(write: ResourceWrite) -> str:
    """The api-version the resource was written with (the newest, for a seeded one)."""
    if write.request is not None:
        query = parse_qs(urlsplit(write.request.get("url", "")).query)
        for name, values in query.items():
            if name.lower() == "api-version" and values:
                return values[0]
    images = write.resource_type.lower() == "microsoft.compute/images"
    return (COMPUTE_API_VERSIONS if images else GALLERY_API_VERSIONS)[-1]


def matches(subscription: EventSubscription, event: Event) -> bool:
    """Whether ``subscription``'s topic raises ``event`` and its filters let it through."""
    if event.notification != (subscription.topic_type == NOTIFICATIONS):
        return False
    group = subscription.resource_group
    if group is not None and (event.resource_group or "").lower() != group.lower():
        return False
    # Event Grid compares filter strings case-insensitively.
    for wanted, value in (
        (subscription.included_event_types, event.type),
        (subscription.operation_names, event.operation_name),
        (subscription.resource_types, event.resource_type),
    ):
        if wanted and (value or "").lower() not in {item.lower() for item in wanted}:
            return False
    return True


def topic_of(subscription: EventSubscription, event: Event) -> str:
    if subscription.resource_group is not None:
        return ids.resource_group_id(event.subscription_id, subscription.resource_group)
    return f"/subscriptions/{event.subscription_id}"


def shaped(subscription: EventSubscription, event: Event) -> dict[str, Any]:
    """``event`` as ``subscription`` receives it, in its schema."""
    topic = topic_of(subscription, event)
    if subscription.event_schema == "CloudEvents":
        return {
            "specversion": "1.0",
            "type": event.type,
            "source": topic,
            "subject": event.subject,
            "id": event.id,
            "time": event.time,
            "datacontenttype": "application/json",
            "data": event.data,
        }
    return {
        "id": event.id,
        "eventType": event.type,
        "eventTime": event.time,
        "subject": event.subject,
        "topic": topic,
        "dataVersion": event.data_version,
        "metadataVersion": "1",
        "data": event.data,
    }
