"""Starters and the HTTP API: the only code that knows HTTP requests and Event Grid events.

- ``migrations``: start a migration and its dry run (the door: every request validated once);
- ``status``: one migration's status, and the list;
- ``approvals``: approve or reject;
- ``decision_page``: the page behind a signed approve/reject link, and the status page;
- ``event_grid``: start a migration for a managed image Azure says was written;
- ``version_events``: a version write Azure reports makes its replication watcher read it now.
"""

from triggers import approvals, decision_page, event_grid, migrations, status, version_events

blueprints = [
    migrations.bp,
    status.bp,
    approvals.bp,
    decision_page.bp,
    event_grid.bp,
    version_events.bp,
]
