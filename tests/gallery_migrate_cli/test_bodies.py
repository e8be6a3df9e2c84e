"""Request bodies from flags, and flags over a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gallery_migrate_cli.bodies import BodyError, Flags, region
from gallery_migrate_cli.session import since


def test_regions() -> None:
    assert region("eastus") == {"name": "eastus"}
    assert region("westus2=2") == {"name": "westus2", "replicaCount": 2}
    assert region("northeurope=2:Standard_ZRS") == {
        "name": "northeurope",
        "replicaCount": 2,
        "storageAccountType": "Standard_ZRS",
    }
    assert region("eastus:Premium_LRS") == {"name": "eastus", "storageAccountType": "Premium_LRS"}
    with pytest.raises(BodyError):
        region("east us")


def test_flags_make_a_request() -> None:
    body = Flags(
        gallery="/g",
        images=["/a", "/b"],
        scopes=["/subscriptions/s"],
        name_pattern="web-*",
        regions=["eastus", "westus2=3"],
        delete_source="never",
        approval_timeout="P1D",
        exclude_from_latest=True,
    ).body(None)
    assert body == {
        "gallery": "/g",
        "images": [{"source": "/a"}, {"source": "/b"}],
        "scopes": ["/subscriptions/s"],
        "filters": {"namePattern": "web-*"},
        "targetRegions": [{"name": "eastus"}, {"name": "westus2", "replicaCount": 3}],
        "deleteSource": "never",
        "approvalTimeout": "P1D",
        "excludeFromLatest": True,
    }


def test_flags_override_the_file(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"gallery": "/g", "images": [{"source": "/a"}], "replicaCount": 2}))
    body = Flags(delete_source="afterReplication", regions=["eastus"]).body(str(path))
    assert body == {
        "gallery": "/g",
        "images": [{"source": "/a"}],
        "replicaCount": 2,
        "deleteSource": "afterReplication",
        "targetRegions": [{"name": "eastus"}],
    }


def test_since() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert since("2h", now) == "2026-12-01T10:00:00+00:00"
    assert since("1w", now) == "2026-11-24T12:00:00+00:00"
    assert since("2026-11-01", now) == "2026-11-01T00:00:00+00:00"
    assert since("2026-11-01T08:00:00+01:00", now) == "2026-11-01T08:00:00+01:00"
