"""Activity functions: thin translations from JSON input to ``migration`` calls and back.

Each returns an :class:`migration.outcome.Outcome` as JSON instead of raising, and each is safe to
run more than once (Durable Functions runs activities at least once).
"""

from activities import claims, events, galleries, images, notify, selection, versions

blueprints = [
    images.bp,
    galleries.bp,
    versions.bp,
    claims.bp,
    selection.bp,
    events.bp,
    notify.bp,
]
