"""What each activity costs in the budget's buckets, and the kinds an older input knows."""

from __future__ import annotations

from activities import names
from migration.domain.budget import DEFAULT_BUCKETS, Kind
from orchestrators.pacing import chunks, cost_of, priced

SUB = "00000000-0000-4000-8000-000000000001"
GALLERY = f"/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.Compute/galleries/gal"
IMAGE = f"/subscriptions/{SUB}/resourceGroups/i/providers/Microsoft.Compute/images/web"
BUCKETS = {kind.value: bucket.to_json() for kind, bucket in DEFAULT_BUCKETS.items()}


def test_every_gallery_write_spends_one_of_computes_gallery_writes() -> None:
    for name, payload in (
        (names.ENSURE_DEFINITION, {"gallery": GALLERY}),
        (names.START_VERSION, {"gallery": GALLERY}),
        (names.DELETE_SOURCE, {"source": IMAGE}),
    ):
        found = cost_of(name, payload)
        assert found is not None
        assert found[1][Kind.GALLERY_WRITES] == 1, name
        assert found[1][Kind.WRITES] == 1, name
    reads = cost_of(names.GET_VERSIONS, {"gallery": GALLERY, "versions": [1, 2, 3]})
    assert reads == (SUB, {Kind.READS: 3})


def test_an_input_from_before_gallery_writes_paces_only_the_kinds_it_names() -> None:
    old = {k: v for k, v in BUCKETS.items() if k != Kind.GALLERY_WRITES.value}
    found = priced(names.START_VERSION, {"gallery": GALLERY}, old)
    assert found == (SUB, {Kind.READS: 1, Kind.WRITES: 1})


def test_version_starts_are_chunked_by_the_gallery_write_burst() -> None:
    calls = [(names.START_VERSION, {"gallery": GALLERY})] * 120
    # ARM's writes would take 50 at once; Compute's gallery writes take their bucket's 50 too.
    sizes = [len(c) for c in chunks(calls, BUCKETS)]
    assert sizes == [50, 50, 20]
    small = {**BUCKETS, Kind.GALLERY_WRITES.value: {"capacity": 8, "refillPerSecond": 0.1}}
    assert max(len(c) for c in chunks(calls, small)) == 8
