"""Version write hints: who watches a version, and what hints have shown of the event pipeline.

An Event Grid event for a version write carries the version's id and nothing of ours (no tags),
so the hint trigger (``triggers/version_events.py``) must find the version's watcher from the id
alone, without a search: ``version_watch``, keyed by ``resource_key`` of the version id, holds the
watcher's instance id. The watcher writes it when it starts watching and clears it when it is
done with the version (only its own entry: a later migration may watch the same version).

``version_hints``, keyed by subscription, holds :class:`~migration.domain.hints.HintEvidence`:
watchers tell it when a hint reached them and how late, or when a version completed without one,
and ask it whether hints can be trusted (see ``migration/domain/hints.py``).
"""

from __future__ import annotations

from datetime import datetime

import azure.durable_functions as df

from migration.domain.hints import HintEvidence
from migration.durable.jobs import HINTS_ENTITY, VERSION_WATCH_ENTITY

bp = df.Blueprint()


@bp.entity_trigger(context_name="context", entity_name=VERSION_WATCH_ENTITY)
def version_watch(context: df.DurableEntityContext) -> None:
    change = context.get_input() or {}
    if context.operation_name == "watch":
        context.set_state({"watcher": change.get("watcher")})
    elif context.operation_name == "unwatch":
        state = context.get_state(dict) or {}
        if state.get("watcher") == change.get("watcher"):
            context.destruct_on_exit()


@bp.entity_trigger(context_name="context", entity_name=HINTS_ENTITY)
def version_hints(context: df.DurableEntityContext) -> None:
    evidence = HintEvidence.from_json(context.get_state(dict) or {})
    change = context.get_input() or {}
    if context.operation_name == "heard":
        evidence = evidence.hear(
            datetime.fromisoformat(change["at"]), float(change.get("delay", 0.0))
        )
    elif context.operation_name == "missed":
        evidence = evidence.miss(datetime.fromisoformat(change["at"]))
    elif context.operation_name == "get":
        context.set_result(evidence.to_json())
        return
    context.set_state(evidence.to_json())
