"""``python -m emulator`` as users run it, and the guide script against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from emulator import ReplicationModel
from emulator.cli import build_config, parse_args
from emulator.testing import raw_request
from tests.emulator.helpers import GALLERY_ID, IMAGE_ID

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def emulator_process(*args: str) -> Iterator[str]:
    """Start ``python -m emulator --port 0 ARGS``, wait for its listening line, stop it after."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        prefix = "emulator listening on "
        if not line.startswith(prefix):
            process.kill()
            _, errors = process.communicate(timeout=10)
            raise AssertionError(f"no listening line: {line!r} {errors}")
        yield line[len(prefix) :].strip()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_guide_script_against_the_cli(tmp_path: Path) -> None:
    with emulator_process("--time-scale", "20000") as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        result = subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "azure_guide.py"),
                base_url,
                "--poll-seconds",
                "0.02",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        counters = raw_request("GET", f"{base_url}/_emulator/counters", token=None).body
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("seed: ")
    assert lines[1] == "1. gallery myGallery: Succeeded"
    assert "Replicating" in "\n".join(lines)
    assert lines[-2].startswith("5. Succeeded: East US Completed 100%, West US 2 Completed 100%")
    assert lines[-1] == "6. deleted managed image myImage"
    assert counters["gallery_image_versions.create_or_update"] == 1
    assert counters["images.delete"] == 1


def test_cli_seeds_and_runs_a_virtual_clock(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "galleries": [{"id": GALLERY_ID}],
                "images": [{"id": IMAGE_ID, "data_disks_gb": [10]}],
            }
        )
    )
    with emulator_process("--time-scale", "0", "--seed", str(seed), "--page-size", "1") as base_url:
        gallery = raw_request("GET", f"{base_url}{GALLERY_ID}?api-version=2026-03-03")
        before = raw_request("GET", f"{base_url}/_emulator/clock", token=None).body
        advanced = raw_request("POST", f"{base_url}/_emulator/advance", {"seconds": 60}, token=None)
    assert gallery.status == 200
    assert before["virtual"] is True
    assert advanced.status == 200
    assert advanced.body["now"] > before["now"]


def refused(flag: str, path: Path | str) -> str:
    """Start the CLI with a bad file or value; it must exit 2 at once and say why on stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--port", "0", flag, str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    return result.stderr


def test_cli_rejects_an_invalid_seed(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"images": [{"id": IMAGE_ID, "location": "moon"}]}))
    assert "moon" in refused("--seed", seed)


def test_cli_rejects_a_bad_fault_file(tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text('{"error_rate": 7}')
    assert "error_rate" in refused("--faults", faults)


def test_flags_build_the_configuration(tmp_path: Path) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text('{"seed": 9, "failing_regions": {"eastus": {"at_progress": 10}}}')
    args = parse_args(
        [
            "--faults",
            str(faults),
            "--random-seed",
            "4",
            "--page-size",
            "7",
            "--throttle",
            "--error-rate",
            "0.25",
            "--latency",
            "1.5",
            "--fail-region",
            "westus2",
            "--cache-lag",
            "2",
            "--event-grid-webhook",
            "http://127.0.0.1:7071/runtime/webhooks/eventgrid",
            "--eventgrid-schema",
            "CloudEvents",
        ]
    )
    config = build_config(args)
    assert (config.seed, config.page_size) == (4, 7)
    assert config.faults.seed == 4
    assert config.faults.throttle.enabled
    assert config.faults.error_rate == 0.25
    assert config.faults.latency_seconds == 1.5
    assert config.faults.cache_lag_requests == 2
    assert set(config.faults.failing_regions) == {"eastus", "westus2"}
    assert config.faults.failing_regions["eastus"].at_progress == 10
    assert config.eventgrid_schema == "CloudEvents"
    assert config.event_grid_webhook is not None


def test_defaults_leave_faults_off() -> None:
    config = build_config(parse_args([]))
    assert config.faults.error_rate == 0
    assert not config.faults.throttle.enabled
    assert config.event_grid_webhook is None


@pytest.mark.parametrize("scale", ["1", "60"])
def test_time_scale_picks_the_clock(scale: str) -> None:
    with emulator_process("--time-scale", scale) as base_url:
        clock = raw_request("GET", f"{base_url}/_emulator/clock", token=None).body
    assert clock["virtual"] is False
    assert clock["clock"] == ("RealClock()" if scale == "1" else "ScaledClock(scale=60)")


def test_progress_profile_flag_takes_a_name_or_weights(tmp_path: Path) -> None:
    assert build_config(parse_args(["--progress-profile", "linear"])).replication.profile == (
        "linear"
    )
    # On top of a config file's model, which keeps its other settings.
    config_file = tmp_path / "config.json"
    config_file.write_text('{"replication": {"base_seconds": 60}}')
    weighted = build_config(
        parse_args(["--config", str(config_file), "--progress-profile", "queued=2, stalled=1"])
    )
    assert weighted.replication.profile == {"queued": 2.0, "stalled": 1.0}
    assert weighted.replication.base_seconds == 60
    assert build_config(parse_args([])).replication.profile == ReplicationModel().profile


@pytest.mark.parametrize("value", ["wavy", "queued=x", "queued=0", "wavy=1"])
def test_a_bad_progress_profile_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="profile"):
        build_config(parse_args(["--progress-profile", value]))


def test_cli_exits_2_on_a_bad_progress_profile() -> None:
    assert "profile" in refused("--progress-profile", "queued=x")


def test_event_subscription_flags(tmp_path: Path) -> None:
    from_file = tmp_path / "arn.json"
    from_file.write_text(
        '{"name": "arn", "endpoint": "http://127.0.0.1:9/arn",'
        ' "topic_type": "Microsoft.ResourceNotifications.Resources"}'
    )
    args = parse_args(
        [
            "--event-grid-webhook",
            "http://127.0.0.1:9/images",
            "--eventgrid-schema",
            "CloudEvents",
            "--version-events-webhook",
            "http://127.0.0.1:9/versions",
            "--event-subscription",
            '{"name": "late", "endpoint": "http://127.0.0.1:9/late",'
            ' "delivery": {"delay_seconds": 30, "drop_probability": 0.1}}',
            "--event-subscription",
            str(from_file),
        ]
    )
    config = build_config(args)
    assert config.event_grid_webhook == "http://127.0.0.1:9/images"
    by_name = {s.name: s for s in config.event_subscriptions}
    assert set(by_name) == {"late", "arn", "EMULATOR-VERSION-WRITES"}
    versions = by_name["EMULATOR-VERSION-WRITES"]
    assert versions.operation_names == ("Microsoft.Compute/galleries/images/versions/write",)
    assert versions.event_schema == "CloudEvents"
    assert by_name["late"].delivery.delay_seconds == 30
    assert by_name["arn"].topic_type == "Microsoft.ResourceNotifications.Resources"


def test_cli_exits_2_on_a_bad_event_subscription() -> None:
    assert "endpoint" in refused("--event-subscription", '{"name": "x"}')
