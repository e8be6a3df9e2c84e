"""Selecting by scope for a dry run: the next page of images the scopes' filters take.

The orchestration selects page by page on its own (one ARM page per activity, paced in ARM's
budget); a dry run answers within one HTTP request, so it reads ARM pages here until it has a
page of its own to plan, and says where the next one starts (``migration.domain.selection.Cursor``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from migration.arm.images import list_images_page
from migration.domain.ids import parse_scope
from migration.domain.request import SelectionFilters
from migration.domain.selection import Cursor, matches


@dataclass(frozen=True)
class SelectedPage:
    sources: list[str]
    listed: int  # images read from ARM for this page (the filters took ``sources`` of them)
    next: Cursor | None


def select_page(
    scopes: Sequence[str], filters: SelectionFilters, cursor: Cursor, want: int
) -> SelectedPage:
    """Up to ``want`` images the filters take, from ``cursor`` on, in the scopes' order."""
    found: list[str] = []
    listed = 0
    scope, token, offset = cursor.scope, cursor.token, cursor.offset
    while scope < len(scopes):
        images, following = list_images_page(parse_scope(scopes[scope]), token)
        listed += max(0, len(images) - offset)
        for position in range(offset, len(images)):
            if not matches(images[position], filters):
                continue
            found.append(images[position].id)
            if len(found) == want:
                rest = position + 1 < len(images)
                if rest:
                    listed -= len(images) - position - 1
                    return SelectedPage(
                        found, listed, Cursor(scope=scope, token=token, offset=position + 1)
                    )
                after = (
                    Cursor(scope=scope, token=following) if following else Cursor(scope=scope + 1)
                )
                return SelectedPage(found, listed, after if after.scope < len(scopes) else None)
        offset = 0
        if following:
            token = following
        else:
            scope, token = scope + 1, None
    return SelectedPage(found, listed, None)
