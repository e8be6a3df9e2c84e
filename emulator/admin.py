"""The admin routes under ``/_emulator/``: records, the clock, reset, seeding and faults.

No authentication, no ARM envelope beyond ``{"error": {"code", "message"}}``: these are for the
people and tools that run the emulator, not for the SDK. See docs/emulator.md ("Admin routes").
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import ValidationError

from emulator.config import FaultConfig
from emulator.seeding import SeedData
from simclock import VirtualClock

if TYPE_CHECKING:
    from emulator.server import Emulator

ADMIN = "/_emulator"


class AdminRoutes:
    """The admin routes of one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(f"{ADMIN}/health", self.health),
            web.get(f"{ADMIN}/requests", self.requests),
            web.get(f"{ADMIN}/counters", self.counters),
            web.get(f"{ADMIN}/events", self.events),
            web.get(f"{ADMIN}/deliveries", self.deliveries),
            web.get(f"{ADMIN}/clock", self.clock),
            web.post(f"{ADMIN}/advance", self.advance),
            web.post(f"{ADMIN}/reset", self.reset),
            web.post(f"{ADMIN}/seed", self.seed),
            web.get(f"{ADMIN}/faults", self.get_faults),
            web.put(f"{ADMIN}/faults", self.put_faults),
        ]

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def requests(self, request: web.Request) -> web.Response:
        return web.json_response([record.to_json() for record in self.emulator.request_log])

    async def counters(self, request: web.Request) -> web.Response:
        return web.json_response(self.emulator.counters)

    async def events(self, request: web.Request) -> web.Response:
        return web.json_response([event.to_json() for event in self.emulator.events])

    async def deliveries(self, request: web.Request) -> web.Response:
        return web.json_response([delivery.to_json() for delivery in self.emulator.deliveries])

    async def clock(self, request: web.Request) -> web.Response:
        return web.json_response(self._clock_state())

    async def advance(self, request: web.Request) -> web.Response:
        emulator = self.emulator
        if not isinstance(emulator.clock, VirtualClock):
            return web.json_response(
                {"error": {"code": "Conflict", "message": f"{emulator.clock!r} is not virtual."}},
                status=409,
            )
        try:
            body = await _json_body(request)
            seconds = float(body.get("seconds", 0)) if isinstance(body, dict) else float("nan")
        except (ValueError, TypeError):
            return _bad_request('expected {"seconds": <number>}')
        if not seconds >= 0:
            return _bad_request("seconds must be a number >= 0")
        emulator.advance(seconds)
        return web.json_response(self._clock_state())

    async def reset(self, request: web.Request) -> web.Response:
        self.emulator.reset()
        return web.json_response({"status": "reset"})

    async def seed(self, request: web.Request) -> web.Response:
        try:
            data = SeedData.model_validate_json(await request.read())
            self.emulator.seed(data)
        except (ValidationError, ValueError) as exc:
            return _bad_request(str(exc))
        return web.json_response(
            {
                "galleries": len(data.galleries),
                "images": len(data.images),
                "disk_encryption_sets": len(data.disk_encryption_sets),
                "scale_sets": len(data.scale_sets),
            }
        )

    async def get_faults(self, request: web.Request) -> web.Response:
        return web.json_response(self.emulator.fault_config.model_dump(mode="json"))

    async def put_faults(self, request: web.Request) -> web.Response:
        try:
            config = FaultConfig.model_validate_json(await request.read())
        except ValidationError as exc:
            return _bad_request(str(exc))
        self.emulator.configure_faults(config)
        return web.json_response(config.model_dump(mode="json"))

    def _clock_state(self) -> dict[str, Any]:
        clock = self.emulator.clock
        return {
            "now": clock.now().isoformat(),
            "clock": repr(clock),
            "virtual": clock.is_virtual,
            "next_due": _iso(self.emulator.next_due()),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": {"code": "BadRequest", "message": message}}, status=400)


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    return json.loads(raw) if raw.strip() else {}
