"""Fixtures: the whole stack, with settings and emulator configuration a test may override."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from emulator import EmulatorConfig
from tests.stack import Stack, open_stack


@pytest.fixture
def app_settings() -> dict[str, str]:
    """Override (or parametrize) to give the app other settings."""
    return {}


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig()


@pytest.fixture
async def stack(
    app_settings: dict[str, str], emulator_config: EmulatorConfig
) -> AsyncIterator[Stack]:
    async with open_stack(app_settings, emulator_config) as opened:
        yield opened
