from __future__ import annotations

from datetime import timedelta

import pytest

from migration.config.settings import Settings, SettingsError
from migration.domain.ids import parse_image_id

S1 = "00000000-0000-0000-0000-0000000000a1"
S2 = "00000000-0000-0000-0000-0000000000a2"


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.max_data_disk_gb == 1024
    assert settings.default_approval_timeout == timedelta(days=3)
    assert settings.in_scope(
        parse_image_id(
            "/subscriptions/00000000-0000-0000-0000-0000000000a0/resourceGroups/r/providers/Microsoft.Compute/images/i"
        )
    )


def test_values_are_read_and_checked() -> None:
    settings = Settings.from_env(
        {
            "ALLOWED_SCOPES": f"/subscriptions/{S1}/resourceGroups/rg1, /subscriptions/{S2}",
            "MAX_DATA_DISK_GB": "2048",
            "REPLICATION_TIMEOUT": "PT6H",
            "DEFINITION_PUBLISHER": "Contoso",
        }
    )
    assert settings.max_data_disk_gb == 2048
    assert settings.replication_timeout == timedelta(hours=6)
    assert settings.default_publisher == "Contoso"
    inside = parse_image_id(
        "/subscriptions/00000000-0000-0000-0000-0000000000A1/resourceGroups/RG1/providers/Microsoft.Compute/images/i"
    )
    elsewhere = parse_image_id(
        "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg2/providers/Microsoft.Compute/images/i"
    )
    other_sub = parse_image_id(
        "/subscriptions/00000000-0000-0000-0000-0000000000a2/resourceGroups/any/providers/Microsoft.Compute/images/i"
    )
    assert settings.in_scope(inside)
    assert not settings.in_scope(elsewhere)
    assert settings.in_scope(other_sub)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ALLOWED_SCOPES", "/nope"),
        ("MAX_DATA_DISK_GB", "lots"),
        ("MAX_DATA_DISK_GB", "0"),
        ("REPLICATION_TIMEOUT", "P1M"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_flags() -> None:
    assert Settings.from_env({"INCLUDE_DURABLE_LINKS": "true"}).include_durable_links
    assert not Settings.from_env({}).include_durable_links
    with pytest.raises(SettingsError, match="INCLUDE_DURABLE_LINKS"):
        Settings.from_env({"INCLUDE_DURABLE_LINKS": "perhaps"})
