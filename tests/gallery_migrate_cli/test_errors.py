"""One clear line, and its own exit code, for what goes wrong: no traceback."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import requests

from devhost.keys import HostKeys
from emulator import EmulatorConfig
from gallery_migrate_cli.app import main
from gallery_migrate_cli.config import CONFIG_VAR, ENDPOINT_VAR, KEY_VAR
from gallery_migrate_cli.exits import Exit
from gallery_migrate_cli.session import Env
from tests.gallery_migrate_cli.conftest import Run, consoles, run_cli
from tests.stack import GALLERY, Stack, image_id, open_stack


def one_line(text: str) -> str:
    assert "Traceback" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_endpoint_that_does_not_answer(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    environ = {CONFIG_VAR: str(tmp_path / "none.toml")}
    ran = await run_cli(None, ("status", "mig-1", "--endpoint", endpoint), environ=environ)
    assert ran.code == Exit.UNREACHABLE
    assert one_line(ran.err) == f"error: cannot reach {endpoint}/api: connection refused"
    as_json = await run_cli(None, ("list", "--endpoint", endpoint, "--json"), environ=environ)
    assert as_json.json()["error"]["kind"] == "unreachable"


async def test_an_endpoint_that_is_not_the_api(cli: Run, stack: Stack) -> None:
    ran = await cli("status", "mig-1", "--endpoint", f"{stack.base_url}/elsewhere")
    assert ran.code == Exit.ERROR
    assert "is not part of the API (404)" in one_line(ran.err)
    bad = await cli("list", "--endpoint", "ftp://nowhere")
    assert (bad.code, one_line(bad.err)) == (
        Exit.USAGE,
        "error: 'ftp://nowhere' is not an http(s) URL",
    )


async def test_an_unknown_migration(cli: Run) -> None:
    for verb in ("status", "watch", "cancel"):
        ran = await cli(verb, "mig-nope")
        assert ran.code == Exit.NOT_FOUND, verb
        assert one_line(ran.err) == "error: There is no migration 'mig-nope'."
    refused = await cli("approve", "mig-nope", "--by", "x", "--json")
    assert refused.code == Exit.NOT_FOUND
    assert refused.json()["error"] == {
        "kind": "not-found",
        "message": "There is no migration 'mig-nope'.",
        "status": 404,
    }


@pytest.fixture
async def keyed_stack(tmp_path: Path) -> AsyncIterator[tuple[Stack, HostKeys]]:
    keys = HostKeys.generate(tmp_path / "secrets")
    async with open_stack({}, EmulatorConfig(), keys=keys) as opened:
        yield opened, keys


async def test_a_wrong_or_missing_key(keyed_stack: tuple[Stack, HostKeys], tmp_path: Path) -> None:
    stack, keys = keyed_stack
    environ = {CONFIG_VAR: str(tmp_path / "none.toml"), ENDPOINT_VAR: stack.base_url}
    missing = await run_cli(stack, ("list",), environ=environ)
    assert missing.code == Exit.UNAUTHORIZED
    assert one_line(missing.err) == (
        f"error: {stack.api} wants a function key (401): pass it with --key, "
        "GALLERY_MIGRATE_KEY or a profile's key"
    )
    wrong = await run_cli(stack, ("list", "--key", "not-it"), environ=environ)
    assert wrong.code == Exit.UNAUTHORIZED
    assert "refused the key (401)" in one_line(wrong.err)
    right = await run_cli(
        stack, ("list",), environ={**environ, KEY_VAR: keys.function_keys["default"]}
    )
    assert right.code == Exit.OK, right.err


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("request.json", '{"gallery": ', "not valid JSON: Expecting value: line 1 column 13"),
        ("request.yaml", "gallery: [unclosed\n", "not valid YAML at line 2, column 1"),
        ("request.yml", "- just\n- a list\n", "the request must be a mapping (a JSON object)"),
        ("request.txt", "{nope: [", "not valid JSON (Expecting property name"),
    ],
)
async def test_a_bad_request_file(
    cli: Run, tmp_path: Path, name: str, text: str, said: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    ran = await cli("start", str(path))
    assert ran.code == Exit.USAGE
    line = one_line(ran.err)
    assert line.startswith(f"error: {path}: "), line
    assert said in line, line


async def test_usage_errors(cli: Run, tmp_path: Path) -> None:
    missing = await cli("plan", str(tmp_path / "absent.json"))
    assert (missing.code, one_line(missing.err)) == (
        Exit.USAGE,
        f"error: {tmp_path / 'absent.json'}: No such file or directory",
    )
    nothing = await cli("start")
    assert (
        one_line(nothing.err) == "error: give a request file, or --gallery and --image (or --scope)"
    )
    region = await cli("plan", "--gallery", GALLERY, "--image", image_id("web"), "--region", "e=x")
    assert one_line(region.err) == "error: --region 'e=x': use NAME[=REPLICAS][:STORAGE_TYPE]"
    flag = await cli("watch")
    assert (flag.code, one_line(flag.err)) == (
        Exit.USAGE,
        "error: Missing argument 'MIGRATION_ID'.",
    )
    choice = await cli("list", "--status", "sleeping")
    assert choice.code == Exit.USAGE
    assert "'sleeping' is not one of" in one_line(choice.err)


async def test_usage_errors_with_json_are_json(cli: Run) -> None:
    missing = await cli("watch", "--json")
    assert missing.code == Exit.USAGE
    assert one_line(missing.err) == "error: Missing argument 'MIGRATION_ID'."
    assert missing.json() == {
        "error": {"kind": "usage", "message": "Missing argument 'MIGRATION_ID'."}
    }
    choice = await cli("list", "--json", "--status", "sleeping")
    assert choice.code == Exit.USAGE
    assert choice.json()["error"]["kind"] == "usage"
    assert "'sleeping' is not one of" in choice.json()["error"]["message"]
    unknown = await cli("status", "mig-1", "--json", "--colour")
    assert unknown.json() == {"error": {"kind": "usage", "message": "No such option '--colour'."}}
    # Without --json, standard output stays empty.
    plain = await cli("watch")
    assert (plain.code, plain.out) == (Exit.USAGE, "")


def ctrl_c(seconds: float) -> float:
    raise KeyboardInterrupt


async def test_ctrl_c_during_watch_exits_130_and_the_migration_goes_on(
    stack: Stack, environ: dict[str, str]
) -> None:
    flags = ("--gallery", GALLERY, "--image", image_id("web"), "--region", "eastus")
    started = await run_cli(stack, ("start", *flags), environ=environ)
    migration_id = started.out.split()[1]
    for json_flag in ((), ("--json",)):
        args = ("watch", migration_id, *json_flag)
        ran = await run_cli(stack, args, environ=environ, pause=ctrl_c)
        assert ran.code == Exit.INTERRUPTED
        assert one_line(ran.err) == (
            f"interrupted: stopped watching {migration_id}, which goes on; "
            f"watch it again: gallery-migrate watch {migration_id} --endpoint {stack.base_url}"
        )
    assert ran.json()["error"]["kind"] == "interrupted"
    assert (await stack.status(migration_id))["runtimeStatus"] == "Running"


class CtrlCSession(requests.Session):
    def request(self, *args: object, **kwargs: object) -> requests.Response:
        raise KeyboardInterrupt


def test_ctrl_c_in_any_other_command_exits_130(environ: dict[str, str]) -> None:
    assert Exit.INTERRUPTED.value == 130  # the shells' 128 + SIGINT
    out, err = consoles(terminal=False)
    env = Env(out=out, err=err, environ=environ, session=CtrlCSession())
    code = main(["list", "--endpoint", "http://127.0.0.1:9"], env)
    assert code == Exit.INTERRUPTED
    assert isinstance(err.file, io.StringIO)
    assert one_line(err.file.getvalue()) == "interrupted"
