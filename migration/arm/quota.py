"""What ARM says is left of its buckets, as an activity's calls saw it.

Every ARM response carries ``x-ms-ratelimit-remaining-subscription-reads`` (``-writes``,
``-deletes``): how many calls of that kind the caller's bucket in that subscription still holds
(azure-facts.md section 3). The app paces itself from estimates (``orchestrators.pacing``); what
ARM says corrects them. :class:`RemainingQuotaPolicy` notes, in the pipeline of every client, the
least each (subscription, kind) showed while an activity ran (:func:`collecting`, opened by
``migration.durable.outcome.capture``), and the activity's outcome carries it back to the
orchestration, which tells the shared budget. Reads an activity makes on worker threads are
noted too, as long as the threads come from :class:`ContextPool`.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from threading import Lock
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy

HEADER = "x-ms-ratelimit-remaining-subscription-"
KINDS = ("reads", "writes", "deletes")
# Compute's own policies: "Microsoft.Compute/<policy><window>;<calls left>,..." on its answers.
RESOURCE_HEADER = "x-ms-ratelimit-remaining-resource"
GALLERY_WRITES = "galleryWrites"
_KIND_OF_METHOD = {"GET": "reads", "HEAD": "reads", "DELETE": "deletes"}


def kind_of(method: str, policies: Iterable[str] = ()) -> str:
    """Which of the budget's buckets (``migration.domain.budget.Kind``) a call spends: ARM's by
    its method, or Compute's gallery writes when a ``GalleryWrite`` policy meters it."""
    if any("gallerywrite" in policy.lower() for policy in policies):
        return GALLERY_WRITES
    return _KIND_OF_METHOD.get(method.upper(), "writes")


_SUBSCRIPTION = re.compile(r"/subscriptions/([^/?#]+)", re.IGNORECASE)


class Remaining:
    """The least remaining per ``subscription|kind`` seen so far (thread-safe)."""

    def __init__(self) -> None:
        self._lock = Lock()
        self.least: dict[str, int] = {}

    def note(self, subscription: str, kind: str, remaining: int) -> None:
        key = f"{subscription.lower()}|{kind}"
        with self._lock:
            self.least[key] = min(remaining, self.least.get(key, remaining))


_current: contextvars.ContextVar[Remaining | None] = contextvars.ContextVar(
    "arm_remaining", default=None
)


@contextmanager
def collecting() -> Iterator[Remaining | None]:
    """Note what ARM says is left while the block runs: the collector when this is the
    outermost block, ``None`` inside another (which then holds the notes)."""
    if _current.get() is not None:
        yield None
        return
    remaining = Remaining()
    token = _current.set(remaining)
    try:
        yield remaining
    finally:
        _current.reset(token)


class RemainingQuotaPolicy(SansIOHTTPPolicy[Any, Any]):
    def on_response(
        self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]
    ) -> None:
        remaining = _current.get()
        if remaining is None:
            return
        found = _SUBSCRIPTION.search(request.http_request.url)
        if found is None:
            return
        subscription = found.group(1)
        headers = response.http_response.headers
        for kind in KINDS:
            value = headers.get(HEADER + kind)
            if value is not None and value.strip().isdigit():
                remaining.note(subscription, kind, int(value))
        # Compute meters its operations in policies of its own, tighter than ARM's buckets for
        # some (gallery writes, a bucket of their own): the tightest says what is left of it.
        policies = {
            name.strip(): int(left)
            for entry in (headers.get(RESOURCE_HEADER) or "").split(",")
            for name, _, left in [entry.rpartition(";")]
            if left.strip().isdigit()
        }
        if policies:
            kind = kind_of(request.http_request.method, policies)
            remaining.note(subscription, kind, min(policies.values()))


class ContextPool(ThreadPoolExecutor):
    """A thread pool whose tasks run in the submitter's context (so their calls are noted)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
