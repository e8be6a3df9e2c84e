"""When to look at replication again: soon when it is nearly done, rarely while it is slow.

Every poll costs an ARM read and an orchestrator replay, and replication takes from minutes to
hours, so the interval follows the progress each region made since the last look.
"""

from __future__ import annotations

from collections.abc import Mapping


def next_poll_seconds(
    before: Mapping[str, int],
    after: Mapping[str, int],
    elapsed: float | None,
    *,
    minimum: float,
    maximum: float,
) -> float:
    """Seconds until the next poll, from each region's progress percent at two looks.

    The estimate is the time the fastest-finishing unfinished region needs at its recent rate;
    with no progress to go by, the interval doubles.
    """
    if elapsed is None or elapsed <= 0:
        return minimum
    estimates = []
    for region, progress in after.items():
        if progress >= 100:
            continue
        gained = progress - before.get(region, 0)
        if gained > 0:
            estimates.append((100 - progress) * elapsed / gained)
    wait = min(estimates) if estimates else 2 * elapsed
    return max(minimum, min(maximum, wait))
