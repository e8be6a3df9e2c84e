"""The data-safety invariant: what must be true before a managed image may be deleted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from migration.domain.facts import RegionStatus, RegionTarget, VersionFacts
from migration.domain.safety import replication_complete, replication_failed
from tests.migration.factories import image_id

SOURCE = image_id("web")
STATES = ["Unknown", "Replicating", "Completed", "Failed"]


def version(**overrides: object) -> VersionFacts:
    values: dict[str, object] = {
        "definition": "web",
        "name": "1.0.0",
        "source": SOURCE,
        "provisioning_state": "Succeeded",
        "target_regions": [
            RegionTarget(name="eastus", replicas=1),
            RegionTarget(name="westus2", replicas=2),
        ],
        "regions": [
            RegionStatus(name="eastus", state="Completed", progress=100),
            RegionStatus(name="West US 2", state="Completed", progress=100),
        ],
    }
    values.update(overrides)
    return VersionFacts.model_validate(values)


def test_complete_version_proves_the_source_safe() -> None:
    assert replication_complete(version(), SOURCE) is None
    assert replication_complete(version(), SOURCE.upper()) is None


def test_reasons_to_keep_the_source() -> None:
    assert "comes from" in str(replication_complete(version(source=image_id("other")), SOURCE))
    assert "not Succeeded" in str(
        replication_complete(version(provisioning_state="Creating"), SOURCE)
    )
    assert "no target regions" in str(replication_complete(version(target_regions=[]), SOURCE))
    missing = version(regions=[RegionStatus(name="eastus", state="Completed", progress=100)])
    assert "westus2 (not reported)" in str(replication_complete(missing, SOURCE))
    assert "does not exist" in str(replication_complete(version(exists=False), SOURCE))


@given(
    st.lists(st.sampled_from(STATES), min_size=2, max_size=2),
    st.sampled_from(["Succeeded", "Creating", "Failed", "Updating"]),
)
def test_never_safe_unless_every_target_region_is_completed(
    states: list[str], provisioning: str
) -> None:
    facts = version(
        provisioning_state=provisioning,
        regions=[
            RegionStatus(name=n, state=s)
            for n, s in zip(["eastus", "westus2"], states, strict=True)
        ],
    )
    safe = replication_complete(facts, SOURCE) is None
    assert safe == (provisioning == "Succeeded" and states == ["Completed", "Completed"])


def test_failures() -> None:
    failed = version(regions=[RegionStatus(name="westus2", state="Failed", details="disk error")])
    assert replication_failed(failed) == "replication failed in westus2: disk error"
    assert (
        replication_failed(version(provisioning_state="Failed", regions=[]))
        == "version 1.0.0 is Failed"
    )
    assert replication_failed(version()) is None
