"""Starters and the HTTP API: the only code that knows HTTP requests and Event Grid events.

- ``migrations``: start a migration and its dry run (the door: every request validated once);
- ``status``: one migration's status, and the list;
- ``approvals``: approve or reject;
- ``decision_page``: the page behind a signed approve/reject link, and the status page;
- ``cancel``: end a migration and everything it started, and give its sources back;
- ``event_grid``: start a migration for a managed image Azure says was written;
- ``version_events``: a version write Azure reports makes its replication watcher read it now;
- ``openapi``: the OpenAPI document of the HTTP API (``GET /api/openapi.json``).
"""

from triggers import (
    approvals,
    cancel,
    decision_page,
    event_grid,
    migrations,
    openapi,
    status,
    version_events,
)

blueprints = [
    migrations.bp,
    status.bp,
    approvals.bp,
    decision_page.bp,
    cancel.bp,
    event_grid.bp,
    version_events.bp,
    openapi.bp,
]
