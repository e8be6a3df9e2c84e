"""Which version an image becomes: one already made from it (adopted), or a free version name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from migration.domain import rules
from migration.domain.facts import TAG_MIGRATION, RegionTarget, VersionFacts
from migration.domain.ids import same_id
from migration.domain.rules import normalize_region, parse_version

FIRST_VERSION = (1, 0, 0)
# Version states from which a version can still end up Succeeded (so it may be adopted).
LIVE_VERSION_STATES = {"creating", "updating", "succeeded", "migrating"}


def next_free_version(taken: Iterable[str]) -> str:
    """The next patch over the highest version in ``taken`` (1.0.0 when there is none).

    Names that are not Major.Minor.Patch are ignored: they cannot collide with what this returns.
    """
    parsed = [p for p in (rules.parse_version(name) for name in taken) if p is not None]
    if not parsed:
        return rules.format_version(FIRST_VERSION)
    major, minor, patch = max(parsed)
    if patch < rules.MAX_VERSION_PART:
        return rules.format_version((major, minor, patch + 1))
    if minor < rules.MAX_VERSION_PART:
        return rules.format_version((major, minor + 1, 0))
    return rules.format_version((major + 1, 0, 0))


def made_from(
    existing: Iterable[VersionFacts], source: str, fingerprint: str
) -> VersionFacts | None:
    """The newest version this app made from this very image (same id, same fingerprint) that
    is, or may still become, Succeeded.

    A version made from an earlier image of the same name does not count: deleting the image on
    the strength of it would lose the new image's disks.
    """
    mine = [
        v
        for v in existing
        if same_id(v.source, source)
        and fingerprint
        and v.fingerprint == fingerprint
        and v.provisioning_state.lower() in LIVE_VERSION_STATES
    ]
    return max(mine, key=lambda v: parse_version(v.name) or (0, 0, 0)) if mine else None


@dataclass(frozen=True)
class VersionChoice:
    """A version name to create, or one to adopt, or why neither can be."""

    version: str | None = None
    adopted: VersionFacts | None = None
    problem: str | None = None


def choose_version(
    asked: str | None,
    source: str,
    fingerprint: str,
    targets: list[RegionTarget],
    existing: list[VersionFacts],
    taken: set[str],
    migration_id: str | None,
) -> VersionChoice:
    """Adopt a live version already made from this image, or pick a free version name (added to
    ``taken``). ``migration_id`` is the migration choosing (a dry run has none)."""
    if (version := made_from(existing, source, fingerprint)) is not None:
        return _adoption(asked, targets, version, migration_id)
    if asked:
        numbers = {parse_version(t) for t in taken}
        if asked in taken or parse_version(asked) in numbers:
            holder = next(
                (v for v in existing if parse_version(v.name) == parse_version(asked)), None
            )
            whose = f" (from {holder.source})" if holder and holder.source else ""
            return VersionChoice(problem=f"Version {asked} is already taken{whose}.")
        name = asked
    else:
        name = next_free_version(taken)
    taken.add(name)
    return VersionChoice(version=name)


def _adoption(
    asked: str | None, targets: list[RegionTarget], version: VersionFacts, migration_id: str | None
) -> VersionChoice:
    owner = version.tags_get(TAG_MIGRATION)
    if version.provisioning_state.lower() != "succeeded" and owner and owner != migration_id:
        # Another migration is still making it: adopting it would let two migrations decide
        # about one image.
        return VersionChoice(
            problem=f"Version {version.name} of this image is still being made by migration "
            f"{owner}."
        )
    if asked and asked != version.name:
        return VersionChoice(
            problem=f"This image already feeds version {version.name}; asked for {asked}."
        )
    has = {normalize_region(t.name): t for t in version.target_regions}
    missing = sorted({t.name for t in targets} - set(has))
    if missing and version.target_regions:
        return VersionChoice(
            problem=f"Version {version.name} from this image already exists without regions "
            f"{', '.join(missing)}; add them to it or delete it first."
        )
    unencrypted = sorted(
        t.name
        for t in targets
        if t.encryption and (t.name not in has or has[t.name].encryption != t.encryption)
    )
    if unencrypted:
        return VersionChoice(
            problem=f"Version {version.name} from this image already exists without the asked "
            f"encryption in {', '.join(unencrypted)}; encryption cannot be added to a version."
        )
    return VersionChoice(version=version.name, adopted=version)
