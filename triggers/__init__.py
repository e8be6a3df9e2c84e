"""Starters and the HTTP API: the only code that knows HTTP requests and Event Grid events."""

from triggers import event_grid, http_api

blueprints = [http_api.bp, event_grid.bp]
