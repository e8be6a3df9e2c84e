"""Starters and the HTTP API: the only code that knows HTTP requests and Event Grid events.

- ``migrations``: start a migration and its dry run (the door: every request validated once);
- ``status``: one migration's status, and the list;
- ``approvals``: approve or reject;
- ``event_grid``: start a migration for a managed image Azure says was written;
- ``openapi``: the OpenAPI document of the HTTP API (``GET /api/openapi.json``).
"""

from triggers import approvals, event_grid, migrations, openapi, status

blueprints = [migrations.bp, status.bp, approvals.bp, event_grid.bp, openapi.bp]
