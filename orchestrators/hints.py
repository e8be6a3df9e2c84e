"""The replication watcher's side of event hints: listening for them, and trusting them or not.

A hint (``HINT_EVENT``, raised by ``triggers/version_events.py``) asks the watcher to read one
version now; the read decides. Two quirks of the Python SDK shape how the watcher listens:

- A hint raised while no wait for it is open (the watcher is reading versions, say) is kept by
  the SDK and handed to *every* later ``wait_for_external_event`` of that name in the execution
  (azure-functions-durable-python#507). Each hint therefore carries a nonce; one seen before
  means the SDK is repeating itself, and the watcher continues as new at once, which starts a
  history in which hints work again.
- ``continue_as_new`` drops events that arrive around the restart (azure-facts.md section 6), and
  the watcher continues as new every few rounds. A hint lost so costs what a lost Event Grid event
  costs: the version is found by polling instead.

One wait task stays open across rounds until a hint arrives, and every wait goes through
``orchestrators.timers.wait_any`` (a fresh timer, cancelled when the hint wins).
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df
from pydantic import Field, ValidationError

from migration.domain.facts import Data
from migration.domain.hints import Hint, HintEvidence
from migration.durable.jobs import HINT_EVENT, decoded, hints_entity, version_watch_entity
from orchestrators.timers import wait_any

#: A read this long after the write a hint reports has surely seen it (Azure's event times and
#: the orchestrator's clock may disagree by a little).
CLOCK_SKEW = timedelta(seconds=5)
#: How often, at most, a watcher asks whether hints can be trusted (only when it would change a
#: plan: a version due sooner than the ceiling).
TRUST_CHECK = timedelta(minutes=15)


class HintState(Data):
    """What a watcher knows of hints for its versions (carried across continue-as-new)."""

    #: Whether each version's watch entity has been told who watches it.
    announced: bool = False
    #: Whether hints can be trusted (then polling is only a safety net), and since when known.
    trusted: bool = False
    checked_at: datetime | None = None
    #: Versions (watcher keys) a hint has come for; those whose hint has not been read yet; and
    #: those a hint-prompted read did not find complete (polled as if no hint could be trusted).
    hinted: list[str] = Field(default_factory=list)
    unread: list[str] = Field(default_factory=list)
    doubted: list[str] = Field(default_factory=list)
    #: When a hint last made each version be read.
    prompted_at: dict[str, datetime] = Field(default_factory=dict)

    def trusts(self, key: str) -> bool:
        return self.trusted and key not in self.doubted


class Listener:
    """The open wait for a hint, within one execution."""

    def __init__(self, context: df.DurableOrchestrationContext) -> None:
        self.context = context
        self.task: Any = None
        self.seen: set[str] = set()
        #: The SDK handed back a hint already taken: continue as new before listening again.
        self.repeating = False

    def wait(self, wake_at: datetime) -> Generator[Any, Any, Hint | None]:
        """The next hint, or None once ``wake_at`` comes (or for an event that is no hint)."""
        if self.task is None:
            self.task = self.context.wait_for_external_event(HINT_EVENT)
        if (yield from wait_any(self.context, [self.task], wake_at)) is None:
            return None
        raw, self.task = self.task.result, None
        try:
            hint = Hint.from_json(decoded(raw))
        except ValidationError:
            return None  # not a hint this app raised: ignore it
        if hint.nonce in self.seen:
            self.repeating = True
            return None
        self.seen.add(hint.nonce)
        return hint


def announce(context: df.DurableOrchestrationContext, version_ids: list[str]) -> None:
    """Tell each version's watch entity that this instance watches it."""
    for version_id in version_ids:
        context.signal_entity(
            version_watch_entity(version_id), "watch", {"watcher": context.instance_id}
        )


def release(context: df.DurableOrchestrationContext, version_id: str) -> None:
    """This instance no longer watches the version (a hint for it is then ignored)."""
    context.signal_entity(
        version_watch_entity(version_id), "unwatch", {"watcher": context.instance_id}
    )


def trust_is_stale(state: HintState, now: datetime) -> bool:
    return state.checked_at is None or now - state.checked_at >= TRUST_CHECK


def check_trust(
    context: df.DurableOrchestrationContext, state: HintState, subscription: str
) -> Generator[Any, Any, None]:
    """Ask the subscription's evidence whether hints can be trusted."""
    now: datetime = context.current_utc_datetime
    raw = yield context.call_entity(hints_entity(subscription), "get")
    evidence = HintEvidence.from_json(decoded(raw) or {})
    state.trusted = evidence.trusted(now)
    state.checked_at = now


def heard(
    context: df.DurableOrchestrationContext, subscription: str, hint: Hint, now: datetime
) -> float:
    """Record that ``hint`` arrived; its delivery delay."""
    delay = hint.delay_seconds(now)
    context.signal_entity(
        hints_entity(subscription), "heard", {"at": now.isoformat(), "delay": delay}
    )
    return delay


def missed(context: df.DurableOrchestrationContext, subscription: str, now: datetime) -> None:
    """Record that a version completed, while hints were trusted, with no hint for it."""
    context.signal_entity(hints_entity(subscription), "missed", {"at": now.isoformat()})
