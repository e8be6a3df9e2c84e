"""Choosing image version numbers."""

from __future__ import annotations

from collections.abc import Iterable

from migration.domain import rules

FIRST_VERSION = (1, 0, 0)


def next_free_version(taken: Iterable[str]) -> str:
    """The next patch over the highest version in ``taken`` (1.0.0 when there is none).

    Names that are not Major.Minor.Patch are ignored: they cannot collide with what this returns.
    """
    parsed = [p for p in (rules.parse_version(name) for name in taken) if p is not None]
    if not parsed:
        return rules.format_version(FIRST_VERSION)
    major, minor, patch = max(parsed)
    if patch < rules.MAX_VERSION_PART:
        return rules.format_version((major, minor, patch + 1))
    if minor < rules.MAX_VERSION_PART:
        return rules.format_version((major, minor + 1, 0))
    return rules.format_version((major + 1, 0, 0))
