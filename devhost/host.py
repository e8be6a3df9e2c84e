"""DevHost: the in-process API over the loader, engine and HTTP server."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from aiohttp import web

from devhost import app_loader, logs, sdk_session
from devhost.auth import Authorizer
from devhost.bindings import (
    ACTIVITY_TRIGGER,
    ENTITY_TRIGGER,
    EVENT_GRID_TRIGGER,
    HTTP_TRIGGER,
    ORCHESTRATION_TRIGGER,
    FunctionMetadata,
    index_function,
)
from devhost.client_binding import client_binding
from devhost.clock_state import catch_up, latest_time
from devhost.config import HostConfig, read_host_config, read_local_settings
from devhost.easy_auth import ENABLED_SETTING as EASY_AUTH_SETTING
from devhost.easy_auth import EasyAuth
from devhost.engine import Engine
from devhost.eventgrid import EventGridWebhook
from devhost.history import JsonDict
from devhost.http_triggers import HttpTriggers, describe_methods
from devhost.instances import InstanceStats
from devhost.invoker import Invoker
from devhost.keys import HostKeys, system_key_name
from devhost.management_api import ManagementApi
from devhost.server import (
    DEFAULT_MAX_REQUEST_BODY_SIZE,
    RPC_PATH,
    SERVER_MAX_LINE,
    build_application,
    build_rpc_application,
    request_body_limit,
)
from devhost.status import status_payload
from devhost.store import Store
from simclock import Clock, RealClock, VirtualClock

log = logging.getLogger("devhost")

SUPPORTED_TRIGGERS = {
    HTTP_TRIGGER,
    ORCHESTRATION_TRIGGER,
    ACTIVITY_TRIGGER,
    ENTITY_TRIGGER,
    EVENT_GRID_TRIGGER,
}

Predicate = Callable[[], bool | Awaitable[bool]]
T = TypeVar("T")


def default_state_path(app_dir: Path, hub: str) -> Path:
    return app_dir / ".local" / "devhost" / f"{hub}.sqlite"


class DevHost:
    """Runs one v2 Functions app (``DIR/function_app.py``) with the Durable extension's behaviour.

    ``state_path=None`` keeps durable state in memory for the life of the host. ``keys``
    enforces auth levels as the Azure host does (default: recorded, not enforced, as with
    `func start`); ``easy_auth`` puts App Service Authentication's headers in front of the app.
    """

    def __init__(
        self,
        app_dir: Path,
        *,
        clock: Clock | None = None,
        state_path: Path | None = None,
        settings: Mapping[str, str] | None = None,
        function_overrides: Mapping[str, Callable[..., Any]] | None = None,
        keys: HostKeys | None = None,
        easy_auth: EasyAuth | None = None,
        activity_rerun_rate: float = 0.0,
    ) -> None:
        self.app_dir = Path(app_dir).resolve()
        self.keys = keys
        self.easy_auth = easy_auth
        if not 0 <= activity_rerun_rate <= 1:
            raise ValueError("activity_rerun_rate is a probability, from 0 to 1")
        self.activity_rerun_rate = activity_rerun_rate
        self.clock = clock or RealClock()
        self.state_path = state_path
        self._extra_settings = dict(settings or {})
        self._overrides = dict(function_overrides or {})
        self._auto_advance = False
        self._engine: Engine | None = None
        self._functions: dict[str, FunctionMetadata] = {}
        self._config: HostConfig | None = None
        self._http: HttpTriggers | None = None
        self._invoker: Invoker | None = None
        self._stack: AsyncExitStack | None = None
        self._module: ModuleType | None = None
        self._origin = ""
        self._system_key: str | None = None
        self._rpc_url: str | None = None
        self._body_limit = DEFAULT_MAX_REQUEST_BODY_SIZE
        self.base_url: str | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    @asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Load the app, start the engine and listen on a real socket; yield the base URL."""
        async with AsyncExitStack() as stack:
            await self._start(stack)
            engine = self.engine
            assert self._http is not None
            assert self._invoker is not None
            management = ManagementApi(
                engine, self.hub_name, self.clock, system_key=self._system_key
            )
            # The Durable extension's local RPC listener: loopback only, no keys.
            rpc = await _listen(stack, build_rpc_application(management, self._body_limit))
            self._rpc_url = f"http://127.0.0.1:{rpc}{RPC_PATH}/"
            application = build_application(
                engine=engine,
                management=management,
                http=self._http,
                eventgrid=EventGridWebhook(self._functions, self._invoker, self._binding),
                clock=self.clock,
                authorizer=Authorizer(self.keys) if self.keys is not None else None,
                easy_auth=self.easy_auth,
                body_limit=self._body_limit,
            )
            bound = await _listen(stack, application, host, port)
            self.base_url = f"http://{host}:{bound}"
            self._origin = self.base_url
            # Work starts once the bindings it hands out have their URLs.
            engine.start()
            yield self.base_url

    async def _start(self, stack: AsyncExitStack) -> None:
        if self._stack is not None:
            raise RuntimeError("this DevHost is already running")
        self._stack = stack
        stack.callback(self._forget_stack)
        logs.install_record_factory()
        settings = {**read_local_settings(self.app_dir), **self._extra_settings}
        if self.easy_auth is not None:
            settings.setdefault(EASY_AUTH_SETTING, "True")  # the platform sets it
        # Settings are in the environment before the app is imported, and until the host stops.
        stack.enter_context(app_loader.applied_settings(settings))
        self._body_limit = request_body_limit(os.environ)
        await sdk_session.reset()
        stack.push_async_callback(sdk_session.reset)
        loaded = app_loader.load_app(self.app_dir)
        stack.callback(app_loader.release_app, loaded)
        self._module = loaded.module
        self._config = read_host_config(self.app_dir, settings)
        self._functions = {}
        for function in loaded.functions:
            metadata = index_function(function)
            if metadata.trigger_type not in SUPPORTED_TRIGGERS:
                log.warning(
                    "function %s has a %s trigger, which devhost does not run",
                    metadata.name,
                    metadata.trigger_type,
                )
                continue
            self._functions[metadata.name] = metadata
        self._create_system_keys()
        executor = ThreadPoolExecutor(
            max_workers=max(4, self._config.max_concurrent_activities),
            thread_name_prefix="devhost-worker",
        )
        stack.callback(executor.shutdown, wait=False, cancel_futures=True)
        invoker = Invoker(executor, self._overrides, str(self.app_dir))
        invoker.validate_overrides(self._functions)
        self._invoker = invoker
        path = self.state_path
        store = Store(path)
        stack.callback(store.close)
        if path is not None:
            # A restarted host continues the state's time, never earlier.
            catch_up(self.clock, latest_time(store))
        engine = Engine(
            functions=self._functions,
            invoker=invoker,
            store=store,
            clock=self.clock,
            config=self._config,
            client_binding=lambda: self._binding(""),
            activity_rerun_rate=self.activity_rerun_rate,
        )
        engine.recover()
        self._engine = engine
        stack.push_async_callback(engine.stop)
        self._http = HttpTriggers(
            self._functions, invoker, self._config.route_prefix, self._binding
        )
        advancer = asyncio.create_task(self._auto_advance_loop(), name="devhost-auto-advance")

        async def stop_advancer() -> None:
            advancer.cancel()
            await asyncio.gather(advancer, return_exceptions=True)

        stack.push_async_callback(stop_advancer)

    def _forget_stack(self) -> None:
        self._stack = None
        self._engine = None

    def _binding(self, origin: str) -> str:
        return client_binding(
            origin or self._origin,
            self.hub_name,
            system_key=self._system_key,
            rpc_base_url=self._rpc_url,
        )

    def _create_system_keys(self) -> None:
        """As each extension does when it registers its webhook (GetOrCreateExtensionKey)."""
        if self.keys is None:
            return
        self._system_key = self.keys.system_key(system_key_name("durabletask"))
        if any(f.trigger_type == EVENT_GRID_TRIGGER for f in self._functions.values()):
            self.keys.system_key(system_key_name("eventgrid"))

    # -- facts about the app -------------------------------------------------------------------

    @property
    def hub_name(self) -> str:
        return self._config.hub_name if self._config else ""

    @property
    def config(self) -> HostConfig:
        return _while_running(self._config)

    @property
    def app_module(self) -> ModuleType:
        """The app's imported ``function_app`` module (e.g. to inspect its state in tests)."""
        return _while_running(self._module)

    @property
    def functions(self) -> Mapping[str, FunctionMetadata]:
        return self._functions

    @property
    def engine(self) -> Engine:
        return _while_running(self._engine, ": use `async with host.serve()`")

    def describe_functions(self) -> list[str]:
        """The function list `func start` prints."""
        lines = []
        assert self._http is not None
        routes = {route.function.name: route for route in self._http.routes}
        for name in sorted(self._functions, key=str.lower):
            function = self._functions[name]
            route = routes.get(name)
            if route is not None:
                url = self._http.url_for(self.base_url or "", route)
                lines.append(f"{name}: [{describe_methods(function)}] {url}")
            else:
                lines.append(f"{name}: {function.trigger_type}")
        return lines

    def client_binding(self) -> str:
        """The JSON a ``durable_client_input`` parameter receives."""
        return self._binding(self._origin)

    # -- running the engine --------------------------------------------------------------------

    @property
    def auto_advance(self) -> bool:
        return self._auto_advance

    @auto_advance.setter
    def auto_advance(self, value: bool) -> None:
        self._auto_advance = value
        if self._engine is not None:
            self._engine.poke()

    async def run_until_idle(self) -> None:
        """Run everything runnable now (episodes, activities, due timers); the clock stays put."""
        await self.engine.run_until_idle()

    async def advance_to_next_timer(self) -> bool:
        """Virtual clock: move to the earliest durable timer, fire it and run until idle."""
        clock = self._virtual_clock()
        await self.engine.run_until_idle()
        upcoming = self.engine.next_timer()
        if upcoming is None:
            return False
        clock.advance_to(upcoming)
        await self.engine.run_until_idle()
        return True

    async def run_until(self, predicate: Predicate, max_timers: int = 1000) -> None:
        """Advance timer by timer until ``predicate()`` holds (it may be sync or async)."""
        for _ in range(max_timers + 1):
            await self.engine.run_until_idle()
            seen = self.engine.version
            if await _holds(predicate):
                return
            if not self.clock.is_virtual:
                await self.engine.wait_for_change(seen)
                continue
            if not await self.advance_to_next_timer():
                await self.engine.run_until_idle()
                if await _holds(predicate):
                    return
                raise RuntimeError(
                    "run_until: no durable timer is pending and the predicate is false"
                )
        raise RuntimeError(f"run_until: predicate still false after {max_timers} timers")

    def _virtual_clock(self) -> VirtualClock:
        if not isinstance(self.clock, VirtualClock):
            raise RuntimeError("only a VirtualClock can be advanced")
        return self.clock

    async def _auto_advance_loop(self) -> None:
        while True:
            engine = self._engine
            if engine is None:
                return
            await engine.run_until_idle()
            seen = engine.version
            clock = self.clock
            if not (self._auto_advance and isinstance(clock, VirtualClock)):
                await engine.wait_for_change(seen)
                continue
            candidates: list[datetime] = [
                t for t in (engine.next_timer(), clock.next_wakeup()) if t is not None
            ]
            if not candidates:
                await engine.wait_for_change(seen)
                continue
            clock.advance_to(min(candidates))
            await asyncio.sleep(0)

    # -- figures and status --------------------------------------------------------------------

    def instance_stats(self, instance_id: str) -> InstanceStats:
        return self.engine.stats(instance_id)

    def get_status(self, instance_id: str, *, show_history: bool = False) -> JsonDict | None:
        """The status payload the HTTP API would answer, without going through HTTP."""
        instance = self.engine.instance(instance_id)
        if instance is None:
            return None
        history = self.engine.load_history(instance) if show_history else None
        return status_payload(instance, history=history)


async def _listen(
    stack: AsyncExitStack, application: web.Application, host: str = "127.0.0.1", port: int = 0
) -> int:
    """Serve ``application`` until the stack closes; the port it listens on."""
    runner = web.AppRunner(
        application, access_log=None, handle_signals=False, max_line_size=SERVER_MAX_LINE
    )
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    await web.TCPSite(runner, host, port).start()
    return int(runner.addresses[0][1]) if runner.addresses else port


def _while_running(part: T | None, hint: str = "") -> T:
    """A part of the host that exists only while it serves."""
    if part is None:
        raise RuntimeError("the host is not running" + hint)
    return part


async def _holds(predicate: Predicate) -> bool:
    result = predicate()
    if inspect.isawaitable(result):
        result = await result
    return bool(result)
