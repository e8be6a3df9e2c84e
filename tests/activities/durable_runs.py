"""An activity that works through the Durable client (claims, events) run once, twice in a row
and twice at once, each on a fresh local stack (the app on devhost, the emulator); what each
leaves: the Durable instances a test looks at, and the emulator's ARM state."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import azure.durable_functions as df

from emulator import EmulatorConfig
from tests.activities.arm_runs import MODES, ArmState, arm_state
from tests.stack import Stack, open_stack

# The user function as the worker calls it: its input and the client binding's JSON, by name.
DurableActivity = Callable[..., Awaitable[Any]]


@dataclass
class DurableRuns:
    outcomes: dict[str, list[Any]] = field(default_factory=dict)
    instances: dict[str, Any] = field(default_factory=dict)
    arm: dict[str, ArmState] = field(default_factory=dict)

    @property
    def once(self) -> Any:
        return self.outcomes["once"][0]

    def assert_same_state(self) -> None:
        for mode in MODES[1:]:
            assert self.instances[mode] == self.instances["once"], mode
            assert self.arm[mode] == self.arm["once"], mode


def client_of(stack: Stack) -> df.DurableOrchestrationClient:
    """A durable client as the host binds one to an invocation."""
    return df.DurableOrchestrationClient(stack.host.client_binding())


async def durable_three_ways(
    activity: DurableActivity,
    input_name: str,
    prepare: Callable[[Stack], Awaitable[Any]],
    observe: Callable[[Stack], Awaitable[Any]],
    settings: dict[str, str] | None = None,
    after: Callable[[Stack], Awaitable[None]] | None = None,
    renamed: Callable[[], dict[str, str]] | None = None,
) -> DurableRuns:
    """``prepare`` sets each fresh stack up and returns the activity's input; after the runs
    (and ``after``, say the rest of a migration) the host runs until idle and ``observe``
    reads the instances that matter; ``renamed`` names the ids that differ from run to run."""
    runs = DurableRuns()
    for mode in MODES:
        async with open_stack(settings or {}, EmulatorConfig()) as stack:
            given = await prepare(stack)

            async def run(given: Any = given, stack: Stack = stack) -> Any:
                bound = {input_name: copy.deepcopy(given), "client": stack.host.client_binding()}
                return await activity(**bound)

            if mode == "once":
                runs.outcomes[mode] = [await run()]
            elif mode == "in a row":
                runs.outcomes[mode] = [await run(), await run()]
            else:
                runs.outcomes[mode] = list(await asyncio.gather(run(), run()))
            await stack.host.run_until_idle()
            if after is not None:
                await after(stack)
            runs.instances[mode] = await observe(stack)
            runs.arm[mode] = arm_state(stack.emulator, renamed() if renamed else None)
    return runs


def instance_state(stack: Stack, instance_id: str) -> Any:
    """An instance's runtime status, input and output, as the status API shows them."""
    status = stack.host.get_status(instance_id)
    if status is None:
        return None
    return {k: status.get(k) for k in ("runtimeStatus", "input", "output")}
