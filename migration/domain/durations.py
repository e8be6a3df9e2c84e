"""ISO-8601 durations (``PT30M``, ``P3D``) as the request and the app settings write them."""

from __future__ import annotations

from datetime import timedelta

import isodate


class DurationError(ValueError):
    pass


def parse_duration(value: str) -> timedelta:
    """A positive ISO-8601 duration of days, hours, minutes and seconds.

    Years and months are refused: their length depends on the calendar, and a timeout should not.
    """
    try:
        parsed = isodate.parse_duration(value.strip())
    except (isodate.ISO8601Error, ValueError, OverflowError) as error:
        raise DurationError(
            f"'{value}' is not an ISO-8601 duration such as PT30M or P3D."
        ) from error
    if not isinstance(parsed, timedelta):
        raise DurationError(f"'{value}' uses years or months; give days instead (e.g. P30D).")
    if parsed <= timedelta(0):
        raise DurationError(f"'{value}' must be longer than zero.")
    return parsed


def format_duration(value: timedelta) -> str:
    return str(isodate.duration_isoformat(value))
