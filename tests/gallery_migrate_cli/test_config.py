"""Where the command talks, and with which key: flags, variables, profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from gallery_migrate_cli.config import (
    CONFIG_VAR,
    ENDPOINT_VAR,
    KEY_VAR,
    PROFILE_VAR,
    ConfigError,
    Target,
    api_url,
    config_path,
    resolve,
)

CONFIG = """
default = "prod"

[profiles.prod]
endpoint = "https://gm-prod.azurewebsites.net"
key_env = "GM_PROD_KEY"

[profiles.test]
endpoint = "https://gm-test.azurewebsites.net/api"
key = "test-key"
"""


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return {CONFIG_VAR: str(path), "GM_PROD_KEY": "prod-key"}


def test_the_default_profile_and_its_key_from_a_variable(environ: dict[str, str]) -> None:
    assert resolve(environ) == Target(
        api="https://gm-prod.azurewebsites.net/api", key="prod-key", profile="prod"
    )


def test_a_named_profile(environ: dict[str, str]) -> None:
    assert resolve(environ, profile="test").key == "test-key"
    assert resolve({**environ, PROFILE_VAR: "test"}).api == "https://gm-test.azurewebsites.net/api"


def test_a_profiles_key_never_goes_to_another_endpoint(environ: dict[str, str]) -> None:
    other = resolve(environ, endpoint="https://elsewhere.example")
    assert (other.api, other.key, other.profile) == ("https://elsewhere.example/api", None, None)
    assert resolve({**environ, ENDPOINT_VAR: "http://127.0.0.1:7071"}).key is None
    assert resolve({**environ, KEY_VAR: "mine"}, endpoint="https://x.example").key == "mine"
    assert resolve(environ, endpoint="https://x.example", profile="test").key is None


def test_flags_beat_variables(environ: dict[str, str]) -> None:
    environ = {**environ, ENDPOINT_VAR: "https://var.example", KEY_VAR: "var-key"}
    assert resolve(environ, endpoint="https://flag.example", key="flag-key") == Target(
        api="https://flag.example/api", key="flag-key", endpoint_flag="https://flag.example"
    )


def test_no_file_means_the_local_stack(tmp_path: Path) -> None:
    assert resolve({CONFIG_VAR: str(tmp_path / "none.toml")}) == Target(
        api="http://127.0.0.1:7071/api"
    )


def test_config_errors_say_what_to_fix(environ: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no profile 'nope' in .* \(it has: prod, test\)"):
        resolve(environ, profile="nope")
    with pytest.raises(ConfigError, match=r"reads its key from \$GM_PROD_KEY: unset"):
        resolve({CONFIG_VAR: environ[CONFIG_VAR]})
    broken = tmp_path / "broken.toml"
    broken.write_text("default = ")
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        resolve({CONFIG_VAR: str(broken)})


def test_paths_and_urls() -> None:
    assert config_path({"HOME": "/home/ana"}) == Path(
        "/home/ana/.config/gallery-migrate/config.toml"
    )
    assert config_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/gallery-migrate/config.toml")
    assert api_url("https://app.example/") == "https://app.example/api"
    assert api_url("http://127.0.0.1:7071/api") == "http://127.0.0.1:7071/api"
    with pytest.raises(ConfigError):
        api_url("app.example")
