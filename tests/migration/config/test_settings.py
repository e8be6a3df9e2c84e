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


# -- approvals people see ------------------------------------------------------------------------


def test_notification_settings_are_off_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.notify == ()
    assert settings.public_base_url is None
    assert settings.approval_link_key is None
    assert not settings.require_sign_in
    assert not settings.easy_auth_enabled


def test_destinations_links_and_schedule_are_read() -> None:
    settings = Settings.from_env(
        {
            "NOTIFY_TEAMS_WEBHOOKS": "https://a.example/w?sig=x,y  https://b.example/w",
            "NOTIFY_SLACK_WEBHOOKS": "https://hooks.example/services/T/B/X",
            "NOTIFY_JSON_WEBHOOKS": "http://127.0.0.1:9000/hook",
            "APPROVAL_REMINDER_INTERVAL": "PT4H",
            "APPROVAL_ESCALATION_BEFORE": "none",
            "PUBLIC_BASE_URL": "https://gm.example/",
            "APPROVAL_LINK_KEY": "k" * 40,
            "APPROVAL_REQUIRE_SIGN_IN": "true",
            "WEBSITE_AUTH_ENABLED": "True",
        }
    )
    assert [d.key for d in settings.notify] == ["teams:1", "teams:2", "slack:1", "webhook:1"]
    # A URL may hold commas; only white space separates them.
    assert settings.notify[0].url == "https://a.example/w?sig=x,y"
    # Shown by kind, place and host only: the path and query are the secret.
    assert settings.notify[0].label == "teams #1 (a.example)"
    assert settings.reminder_interval == timedelta(hours=4)
    assert settings.escalation_before == timedelta(0)
    assert settings.public_base_url == "https://gm.example"
    assert settings.approval_link_key == b"k" * 40
    assert settings.require_sign_in
    assert settings.easy_auth_enabled


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NOTIFY_TEAMS_WEBHOOKS", "http://teams.example/w", "must use https"),
        ("NOTIFY_SLACK_WEBHOOKS", "ftp://x.example/w", "https:// URL"),
        ("NOTIFY_JSON_WEBHOOKS", "https://user:pw@x.example/w", "no user name"),
        ("APPROVAL_LINK_KEY", "short", "at least 32"),
        ("APPROVAL_REMINDER_INTERVAL", "PT1M", "at least"),
        ("PUBLIC_BASE_URL", "https://gm.example/?x=1", "no query"),
        ("APPROVAL_REQUIRE_SIGN_IN", "maybe", "neither true nor false"),
    ],
)
def test_bad_notification_settings_are_named(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as error:
        Settings.from_env({name: value})
    assert name in str(error.value)
