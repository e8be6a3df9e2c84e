"""App settings (environment variables in Azure Functions), read once per use and validated.

Orchestrators never read settings: starters snapshot what an orchestration needs into its input,
so that a replay sees the values the orchestration started with.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import TypeVar

from migration.domain.budget import DEFAULT_BUCKETS, Bucket, Kind
from migration.domain.durations import DurationError, parse_duration
from migration.domain.ids import ResourceId, ResourceIdError, Scope, parse_scope
from migration.domain.plan import DeletionBlock, PlanRules
from migration.domain.validation import RequestLimits
from migration.notify.destinations import (
    Destination,
    DestinationError,
    DestinationKind,
    check_url,
    destinations,
)

E = TypeVar("E", bound=Enum)


class SettingsError(ValueError):
    """An app setting has a value the app cannot use."""


@dataclass(frozen=True)
class Settings:
    allowed_scopes: tuple[Scope, ...] = ()
    max_data_disk_gb: int = 1024
    default_publisher: str | None = None
    default_approval_timeout: timedelta = timedelta(days=3)
    max_approval_timeout: timedelta = timedelta(days=90)
    replication_timeout: timedelta = timedelta(hours=24)
    # The closest two reads of a version may be; the schedule reads that often only when it
    # must (migration/domain/polling.py).
    poll_min: timedelta = timedelta(seconds=30)
    poll_max: timedelta = timedelta(minutes=15)
    max_images_per_request: int = 1000
    # A version's end of life when a request gives none (Azure's own default since api-version
    # 2026-03-03 is six months; the app always states one).
    default_end_of_life: timedelta = timedelta(days=365)
    deletion_block: DeletionBlock = DeletionBlock.ONCE_SOURCE_DELETED
    # ARM's buckets per subscription (its documented defaults), and the most versions the app
    # creates at once in one subscription.
    arm_buckets: Mapping[Kind, Bucket] = field(default_factory=lambda: dict(DEFAULT_BUCKETS))
    max_concurrent_versions: int = 1000
    include_durable_links: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    # -- approvals people see: notifications, signed links, the decision page ------------------
    # Webhooks told about approvals and outcomes (none: nobody is told).
    notify: tuple[Destination, ...] = ()
    # A reminder this often while an approval waits, and an escalation this long before its
    # deadline (zero: none).
    reminder_interval: timedelta = timedelta(hours=24)
    escalation_before: timedelta = timedelta(hours=6)
    # Images a message lists by name (the rest are counted, and on the page).
    notify_max_images: int = 10
    # The app's public address (links in messages), and the key that signs approve and reject
    # links (none: messages carry no links, and the decision page refuses every token).
    public_base_url: str | None = None
    approval_link_key: bytes | None = None
    # App Service Authentication fronts the app (the platform sets this), and whether the
    # decision page takes decisions only from signed-in callers.
    easy_auth_enabled: bool = False
    require_sign_in: bool = False

    def request_limits(self, now: datetime) -> RequestLimits:
        """What validating a request received at ``now`` takes from these settings."""
        return RequestLimits(
            now=now,
            max_images=self.max_images_per_request,
            max_approval_timeout=self.max_approval_timeout,
        )

    def plan_rules(self) -> PlanRules:
        """What planning takes from these settings."""
        return PlanRules(
            max_data_disk_gb=self.max_data_disk_gb,
            default_publisher=self.default_publisher,
            default_end_of_life=self.default_end_of_life,
            deletion_block=self.deletion_block,
        )

    def in_scope(self, resource: ResourceId) -> bool:
        """An empty allowlist allows every scope the app's identity can reach."""
        return not self.allowed_scopes or any(s.contains(resource) for s in self.allowed_scopes)

    def covers(self, scope: Scope) -> bool:
        """Whether every resource of ``scope`` is within the allowed scopes."""
        return not self.allowed_scopes or any(s.covers(scope) for s in self.allowed_scopes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        d = _DEFAULTS
        return cls(
            allowed_scopes=_scopes(env.get("ALLOWED_SCOPES", "")),
            max_data_disk_gb=_int(env, "MAX_DATA_DISK_GB", d.max_data_disk_gb, minimum=1),
            default_publisher=env.get("DEFINITION_PUBLISHER") or None,
            default_approval_timeout=_duration(env, "APPROVAL_TIMEOUT", d.default_approval_timeout),
            max_approval_timeout=_duration(env, "MAX_APPROVAL_TIMEOUT", d.max_approval_timeout),
            replication_timeout=_duration(env, "REPLICATION_TIMEOUT", d.replication_timeout),
            poll_min=_duration(env, "REPLICATION_POLL_MIN", d.poll_min),
            poll_max=_duration(env, "REPLICATION_POLL_MAX", d.poll_max),
            max_images_per_request=_int(
                env, "MAX_IMAGES_PER_REQUEST", d.max_images_per_request, minimum=1
            ),
            default_end_of_life=_duration(env, "DEFAULT_END_OF_LIFE", d.default_end_of_life),
            deletion_block=_choice(env, "DELETION_BLOCK", DeletionBlock, d.deletion_block),
            arm_buckets=_buckets(env.get("ARM_BUDGET", ""), d.arm_buckets),
            max_concurrent_versions=_int(
                env, "MAX_CONCURRENT_VERSIONS", d.max_concurrent_versions, minimum=1
            ),
            include_durable_links=_flag(env, "INCLUDE_DURABLE_LINKS"),
            extra={k: v for k, v in env.items() if k.startswith("EVENTGRID_")},
            # -- approvals people see
            notify=(
                _destinations(env, "NOTIFY_TEAMS_WEBHOOKS", DestinationKind.TEAMS)
                + _destinations(env, "NOTIFY_SLACK_WEBHOOKS", DestinationKind.SLACK)
                + _destinations(env, "NOTIFY_JSON_WEBHOOKS", DestinationKind.WEBHOOK)
            ),
            reminder_interval=_every(env, "APPROVAL_REMINDER_INTERVAL", d.reminder_interval),
            escalation_before=_or_none(env, "APPROVAL_ESCALATION_BEFORE", d.escalation_before),
            notify_max_images=_int(env, "NOTIFY_MAX_IMAGES", d.notify_max_images, minimum=1),
            public_base_url=_base_url(env, "PUBLIC_BASE_URL"),
            approval_link_key=_secret_key(env, "APPROVAL_LINK_KEY"),
            easy_auth_enabled=_flag(env, "WEBSITE_AUTH_ENABLED"),
            require_sign_in=_flag(env, "APPROVAL_REQUIRE_SIGN_IN"),
        )


# The defaults, as the dataclass states them: the one place each is written.
_DEFAULTS = Settings()


def split_list(value: str) -> list[str]:
    return [item for item in re.split(r"[\s,;]+", value.strip()) if item]


def _scopes(value: str) -> tuple[Scope, ...]:
    try:
        return tuple(parse_scope(item) for item in split_list(value))
    except ResourceIdError as error:
        raise SettingsError(f"ALLOWED_SCOPES: {error}") from error


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}: '{raw}' is not a whole number.") from None
    if value < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}.")
    return value


def _choice(env: Mapping[str, str], name: str, kind: type[E], default: E) -> E:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        choices = ", ".join(str(c.value) for c in kind)
        raise SettingsError(f"{name}: '{raw}' is not one of {choices}.") from None


def _buckets(value: str, defaults: Mapping[Kind, Bucket]) -> dict[Kind, Bucket]:
    """``reads=250/25, writes=200/10``: capacity and refill per second, per kind of call (kinds
    not named keep their defaults)."""
    found = dict(defaults)
    for item in split_list(value):
        name, _, rest = item.partition("=")
        capacity, _, refill = rest.partition("/")
        try:
            kind = Kind.named(name)
            found[kind] = Bucket(capacity=float(capacity), refill_per_second=float(refill))
        except ValueError:
            raise SettingsError(
                f"ARM_BUDGET: '{item}' is not kind=capacity/refill-per-second "
                f"(kinds: {', '.join(k.value for k in Kind)})"
            ) from None
        if found[kind].capacity < 1 or float(refill) <= 0:
            raise SettingsError(f"ARM_BUDGET: '{item}' needs a capacity of 1 or more and a refill")
    return found


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name}: '{raw}' is neither true nor false.")


def _duration(env: Mapping[str, str], name: str, default: timedelta) -> timedelta:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return parse_duration(raw)
    except DurationError as error:
        raise SettingsError(f"{name}: {error}") from None


# -- approvals people see ------------------------------------------------------------------------

# Links are signed with HMAC-SHA256: a key shorter than its output adds no strength, and a short
# one could be guessed.
MIN_LINK_KEY_CHARS = 32


def _destinations(
    env: Mapping[str, str], name: str, kind: DestinationKind
) -> tuple[Destination, ...]:
    # URLs are separated by white space only: commas and semicolons may appear in a URL.
    try:
        return destinations(kind, env.get(name, "").split())
    except DestinationError as error:
        raise SettingsError(f"{name}: {error}") from None


def _base_url(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip().rstrip("/")
    if not raw:
        return None
    try:
        return check_base_url(raw)
    except DestinationError as error:
        raise SettingsError(f"{name}: {error}") from None


def check_base_url(url: str) -> str:
    if "?" in url or "#" in url:
        raise DestinationError("the public address is scheme and host (and a path), no query")
    return check_url(url)


def _secret_key(env: Mapping[str, str], name: str) -> bytes | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if len(raw) < MIN_LINK_KEY_CHARS:
        raise SettingsError(f"{name}: must be at least {MIN_LINK_KEY_CHARS} characters.")
    return raw.encode("utf-8")


# Reminders more often than this would be noise in a channel.
MIN_REMINDER_INTERVAL = timedelta(minutes=10)


def _or_none(env: Mapping[str, str], name: str, default: timedelta) -> timedelta:
    """A duration, or ``none`` for none at all."""
    if env.get(name, "").strip().lower() == "none":
        return timedelta(0)
    return _duration(env, name, default)


def _every(env: Mapping[str, str], name: str, default: timedelta) -> timedelta:
    value = _or_none(env, name, default)
    if timedelta(0) < value < MIN_REMINDER_INTERVAL:
        raise SettingsError(f"{name}: at least {MIN_REMINDER_INTERVAL} (or none).")
    return value
