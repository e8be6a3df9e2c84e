"""How resource kinds register: every operation a route names has exactly one handler."""

from __future__ import annotations

import pytest

from emulator import EmulatorConfig
from emulator.faults import FaultInjector
from emulator.records import Recorder
from emulator.routing import GALLERY_API_VERSIONS, SUB, Route
from emulator.service import ArmResult, Call, dispatch_table
from emulator.service.core import Answer, Core, Handler, Kind
from emulator.service.galleries import Galleries


def core() -> Core:
    config = EmulatorConfig()
    return Core(config, Recorder(), FaultInjector(config.faults))


class Widgets(Kind):
    routes = (
        Route(
            SUB + "/providers/Microsoft.Compute/widgets",
            "widgets",
            GALLERY_API_VERSIONS,
            {"GET": "widgets.list", "POST": "widgets.poke"},
        ),
    )

    def handlers(self) -> dict[str, Handler]:
        return {"widgets.list": self.list_all}

    def list_all(self, call: Call) -> Answer:
        return ArmResult(200, {"value": []})


def test_a_kind_whose_route_names_an_operation_without_a_handler_is_refused() -> None:
    with pytest.raises(TypeError, match=r"without a handler: \['widgets.poke'\]"):
        dispatch_table((Galleries(core()), Widgets(core())))


def test_two_kinds_that_handle_one_operation_are_refused() -> None:
    with pytest.raises(TypeError, match="handled twice"):
        dispatch_table((Galleries(core()), Galleries(core())))
