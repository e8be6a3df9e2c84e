"""What the emulator can be told: the replication model, timings, throttling, faults, Event Grid.

Every model here reads from JSON (``--config``/``--faults`` files and the ``/_emulator/faults``
admin route) as well as from Python. Durations are in simulated seconds: the emulator's clock
decides how long they take in wall time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from emulator.progress import DEFAULT_MIX, ProfileName


class _Model(BaseModel):
    # Typos in a fault file should fail loudly rather than silently disable a fault.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReplicationModel(_Model):
    """How long replicating a version to one target region takes.

    ``duration = (base_seconds + size_gb * seconds_per_gb)
    * region_factor * geography_factor * source_factor * replica_factor * jitter`` where

    - ``size_gb`` is the source image's OS disk plus all its data disks,
    - ``region_factor`` is ``region_factors[region]`` (default 1),
    - ``geography_factor`` is ``cross_geography_factor`` when the region is in another geography
      than the source image (copies cross a longer distance), else 1,
    - ``source_factor`` is ``source_region_factor`` in the source image's own region (a local
      copy),
    - ``replica_factor`` is ``1 + per_extra_replica * (replicas - 1)``,
    - ``jitter`` is uniform in ``[1 - jitter, 1 + jitter]``, drawn from a generator seeded with
      ``(seed, version id, region)`` so that a run is reproducible whatever the order of requests.

    Regions replicate in parallel. How progress moves over the duration is ``profile``: one
    profile's name or weights over several (``emulator/progress.py``, docs/emulator.md);
    ``linear`` is a straight line from 0 to 100, the default a mix.
    """

    base_seconds: float = Field(default=600.0, ge=0)
    seconds_per_gb: float = Field(default=20.0, ge=0)
    per_extra_replica: float = Field(default=0.1, ge=0)
    source_region_factor: float = Field(default=0.6, gt=0)
    cross_geography_factor: float = Field(default=1.5, gt=0)
    region_factors: dict[str, float] = Field(default_factory=dict)
    jitter: float = Field(default=0.1, ge=0, lt=1)
    profile: ProfileName | dict[ProfileName, float] = Field(
        default_factory=lambda: dict(DEFAULT_MIX)
    )

    @field_validator("profile")
    @classmethod
    def _usable_weights(
        cls, value: ProfileName | dict[ProfileName, float]
    ) -> ProfileName | dict[ProfileName, float]:
        if isinstance(value, dict):
            if any(weight < 0 for weight in value.values()):
                raise ValueError("profile weights must not be negative")
            if sum(value.values()) <= 0:
                raise ValueError("at least one profile weight must be positive")
        return value

    @field_validator("region_factors")
    @classmethod
    def _positive_factors(cls, value: dict[str, float]) -> dict[str, float]:
        for region, factor in value.items():
            if factor <= 0:
                raise ValueError(f"region factor for {region!r} must be positive")
        return value


class Timings(_Model):
    """How long the quick asynchronous operations take (simulated seconds).

    Zero means the operation has finished by the time anyone polls it, which keeps a virtual clock
    usable without advancing it for every definition. The PUT still answers 201 with an
    ``Azure-AsyncOperation`` header, as Azure does.
    """

    gallery_seconds: float = Field(default=0.0, ge=0)
    definition_seconds: float = Field(default=0.0, ge=0)
    image_seconds: float = Field(default=0.0, ge=0)
    delete_seconds: float = Field(default=0.0, ge=0)
    #: A metadata-only version update (tags, end of life, exclude from latest).
    version_update_seconds: float = Field(default=0.0, ge=0)


class BucketConfig(_Model):
    """A token bucket: ``capacity`` requests at once, refilled at ``refill_per_second``."""

    capacity: int = Field(gt=0)
    refill_per_second: float = Field(gt=0)


class PolicyWindow(_Model):
    """One window of a Compute throttling policy, e.g. ``3Min`` allowing 600 calls per 180 s."""

    suffix: str
    seconds: float = Field(gt=0)
    limit: int = Field(gt=0)


class ComputePolicy(_Model):
    """A Compute resource-provider throttling policy.

    ``operations`` are shell-style patterns over operation names (``gallery_image_versions.*``).
    Each window is a token bucket of ``limit`` tokens refilled at ``limit / seconds`` per second.
    """

    name: str
    operations: tuple[str, ...]
    windows: tuple[PolicyWindow, ...]


def _default_policies() -> tuple[ComputePolicy, ...]:
    # Compute does not document its gallery policy names; these follow the shape of its headers.
    def windows(three: int, thirty: int) -> tuple[PolicyWindow, ...]:
        return (
            PolicyWindow(suffix="3Min", seconds=180, limit=three),
            PolicyWindow(suffix="30Min", seconds=1800, limit=thirty),
        )

    return (
        ComputePolicy(
            name="GalleryRead",
            operations=(
                "galleries.get",
                "galleries.list*",
                "gallery_images.get",
                "gallery_images.list*",
                "gallery_image_versions.get",
                "gallery_image_versions.list*",
                "caps_operations.get",
            ),
            windows=windows(2000, 15000),
        ),
        ComputePolicy(
            name="GalleryWrite",
            operations=(
                "galleries.create_or_update",
                "galleries.delete",
                "gallery_images.create_or_update",
                "gallery_images.delete",
                "gallery_image_versions.create_or_update",
                "gallery_image_versions.delete",
            ),
            windows=windows(180, 1200),
        ),
        ComputePolicy(
            name="LowCostGet",
            operations=("images.get", "images.list*", "compute_operations.get"),
            windows=windows(3000, 20000),
        ),
        ComputePolicy(
            name="PutDeleteImage",
            operations=("images.create_or_update", "images.update", "images.delete"),
            windows=windows(240, 1200),
        ),
    )


class ThrottleConfig(_Model):
    """ARM's per-subscription buckets and Compute's own policies.

    Off by default so that tests which make many requests in one virtual instant are not throttled
    by accident; ``--throttle`` or ``{"throttle": {"enabled": true}}`` turns Azure's limits on.
    """

    enabled: bool = False
    reads: BucketConfig = BucketConfig(capacity=250, refill_per_second=25)
    writes: BucketConfig = BucketConfig(capacity=200, refill_per_second=10)
    deletes: BucketConfig = BucketConfig(capacity=200, refill_per_second=10)
    compute_policies: tuple[ComputePolicy, ...] = Field(default_factory=_default_policies)


class FailingRegion(_Model):
    """A target region whose replication fails part-way."""

    at_progress: int = Field(default=50, ge=0, le=99)
    code: str = "InternalOperationError"
    message: str = "An internal error occurred while replicating the image to this region."


class DeniedAction(_Model):
    """An RBAC action the caller's roles do not grant at a scope (ARM's own authorization check,
    which the emulator otherwise does not model: every token may do everything)."""

    #: A shell pattern over RBAC actions, e.g. ``Microsoft.Compute/virtualMachineScaleSets/read``.
    action: str
    #: The scope denied, with everything under it (compared case-insensitively); ``/``: all.
    scope: str = "/"


class FaultConfig(_Model):
    """Misbehaviour to inject. Every random choice comes from a generator seeded with ``seed``."""

    seed: int = 0
    #: Probability that an ARM request answers with one of ``error_statuses`` instead.
    error_rate: float = Field(default=0.0, ge=0, le=1)
    error_statuses: tuple[Literal[500, 503], ...] = (500, 503)
    #: Operation-name patterns the random errors apply to.
    error_operations: tuple[str, ...] = ("*",)
    #: A definition or version created by PUT answers 404 to the first ``cache_lag_requests``
    #: requests that address it (GET, or PUT of a child) within ``cache_lag_seconds`` of creation.
    cache_lag_requests: int = Field(default=0, ge=0)
    cache_lag_seconds: float = Field(default=30.0, gt=0)
    #: Target regions (short or display names) whose replication fails.
    failing_regions: dict[str, FailingRegion] = Field(default_factory=dict)
    #: Added to every ARM request, in simulated seconds (converted to wall time by the clock).
    latency_seconds: float = Field(default=0.0, ge=0)
    latency_jitter_seconds: float = Field(default=0.0, ge=0)
    throttle: ThrottleConfig = ThrottleConfig()
    #: Managed image ids (compared case-insensitively) that Azure finds overloaded: a version PUT
    #: that would copy from one is refused with 429 "Too many requests on source ...".
    overloaded_sources: tuple[str, ...] = ()
    #: Probability that any such PUT (or a re-PUT whose regions copy from the image) is refused.
    overloaded_source_rate: float = Field(default=0.0, ge=0, le=1)
    #: The refusal's ``Retry-After``, in simulated seconds.
    overloaded_source_retry_after_seconds: float = Field(default=60.0, gt=0)
    #: Requests needing one of these actions at a covered scope answer 403 ``AuthorizationFailed``.
    denied_actions: tuple[DeniedAction, ...] = ()

    @classmethod
    def from_file(cls, path: str | Path) -> FaultConfig:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))


EventSchema = Literal["EventGrid", "CloudEvents"]
TopicType = Literal[
    "Microsoft.Resources.Subscriptions",
    "Microsoft.Resources.ResourceGroups",
    "Microsoft.ResourceNotifications.Resources",
]


class DeliveryBehaviour(_Model):
    """How Event Grid treats one subscription's events (simulated seconds; every draw seeded).

    Event Grid delivers at least once and in no guaranteed order: an event may come late, twice,
    after a later one, or (here, to test that events are only hints) not at all."""

    #: Each event waits ``delay_seconds`` plus a uniform draw up to ``delay_jitter_seconds``.
    delay_seconds: float = Field(default=0.0, ge=0)
    delay_jitter_seconds: float = Field(default=0.0, ge=0)
    #: The chance an event is delivered twice (the copy with its own delay), with the same id.
    duplicate_probability: float = Field(default=0.0, ge=0, le=1)
    #: The chance an event is never delivered (recorded in ``deliveries`` as dropped).
    drop_probability: float = Field(default=0.0, ge=0, le=1)
    #: The chance an event is held back ``out_of_order_seconds`` more, so later ones overtake it.
    out_of_order_probability: float = Field(default=0.0, ge=0, le=1)
    out_of_order_seconds: float = Field(default=60.0, ge=0)
    #: Attempts per delivery when the endpoint fails (Event Grid retries with back-off).
    max_attempts: int = Field(default=3, ge=1)


class EventSubscription(_Model):
    """An Event Grid subscription to a system topic, delivering to a webhook.

    ``topic_type`` is the system topic: a subscription's or a resource group's (ResourceWrite*
    events, every resource written in it) or Azure Resource Notifications' (``CreatedOrUpdated``
    with the resource's payload, subscription scope). The filters are Event Grid's: included event
    types, ``data.operationName`` (``StringIn``, system topics only) and resource types; an empty
    filter lets everything through."""

    name: str = Field(default="EMULATOR-SUBSCRIPTION", min_length=1)
    endpoint: str
    topic_type: TopicType = "Microsoft.Resources.Subscriptions"
    #: The resource group of a ``Microsoft.Resources.ResourceGroups`` topic.
    resource_group: str | None = None
    event_schema: EventSchema = "EventGrid"
    included_event_types: tuple[str, ...] = ()
    operation_names: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    delivery: DeliveryBehaviour = DeliveryBehaviour()

    @model_validator(mode="after")
    def _fits_its_topic(self) -> EventSubscription:
        groups = self.topic_type == "Microsoft.Resources.ResourceGroups"
        if groups != (self.resource_group is not None):
            raise ValueError("resource_group is given for, and only for, a ResourceGroups topic")
        if self.operation_names and self.topic_type.startswith("Microsoft.ResourceNotifications"):
            raise ValueError(
                "Resource Notifications events carry no operationName: filter on resource_types"
            )
        return self


class EmulatorConfig(_Model):
    """Everything an :class:`~emulator.Emulator` is configured with."""

    #: Seeds replication jitter and operation ids (faults have their own seed).
    seed: int = 0
    #: Items per page in list responses; a smaller value makes paging visible.
    page_size: int = Field(default=100, gt=0)
    replication: ReplicationModel = ReplicationModel()
    timings: Timings = Timings()
    faults: FaultConfig = FaultConfig()
    #: Largest data disk a version accepts, in GB (the migration guide says 1 TB; later docs 2 TB).
    max_data_disk_gb: int = Field(default=1024, gt=0)
    #: When set, only these bearer tokens are accepted (others get ``InvalidAuthenticationToken``).
    accepted_tokens: tuple[str, ...] | None = None
    #: Where to POST ``Microsoft.Resources.ResourceWriteSuccess`` events for managed images
    #: (a subscription topic's event subscription filtered to ``Microsoft.Compute/images/write``).
    event_grid_webhook: str | None = None
    eventgrid_schema: EventSchema = "EventGrid"
    eventgrid_max_attempts: int = Field(default=3, ge=1)
    #: More event subscriptions (version writes, Resource Notifications, delivery behaviour).
    event_subscriptions: tuple[EventSubscription, ...] = ()
    tenant_id: str = "00000000-0000-0000-0000-0000000000aa"

    @field_validator("event_subscriptions")
    @classmethod
    def _named_once(cls, value: tuple[EventSubscription, ...]) -> tuple[EventSubscription, ...]:
        names = [subscription.name.lower() for subscription in value]
        if len(set(names)) != len(names):
            raise ValueError("event subscription names must be unique")
        return value

    @classmethod
    def from_file(cls, path: str | Path) -> EmulatorConfig:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))
