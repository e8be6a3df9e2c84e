"""Rules every resource kind shares: enums, locations, dates, moves, OS fields, the life cycle.

The message texts follow Azure's own (the "Troubleshoot shared image galleries" page and error
responses quoted in public issue threads). Where Azure documents no code, the choice is noted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulator.errors import (
    ArmErrorResponse,
    invalid_parameter,
    invalid_request_content,
    operation_not_allowed,
    required_missing,
)
from emulator.regions import Region, available_regions_text, find_region, region_key
from simclock import utc

# Values -----------------------------------------------------------------------------------------


def canonical(value: str | None, allowed: tuple[str, ...], type_name: str, path: str) -> str:
    """``value`` in its canonical casing; Azure reads these enums case-insensitively."""
    if value is None:
        raise required_missing(path)
    for option in allowed:
        if option.lower() == value.lower():
            return option
    raise invalid_request_content(
        f"Error converting value \"{value}\" to type '{type_name}'. Path '{path}'"
    )


def check_location(location: str | None, resource_type: str) -> Region:
    if not location:
        raise ArmErrorResponse(
            400, "LocationRequired", "The location property is required for this definition."
        )
    region = find_region(location)
    if region is None:
        raise location_not_available(location, resource_type)
    return region


def location_not_available(location: str, resource_type: str) -> ArmErrorResponse:
    return ArmErrorResponse(
        400,
        "LocationNotAvailableForResourceType",
        f"The provided location '{location}' is not available for resource type "
        f"'{resource_type}'. List of available regions for the resource type is "
        f"'{available_regions_text()}'.",
    )


def check_end_of_life(value: datetime | None, now: datetime, path: str) -> None:
    if value is not None and utc(value) <= now:
        raise invalid_parameter("EndOfLifeDate must be set to a future date.", target=path)


def check_not_moved(existing_location: str, location: Region, resource_name: str, rg: str) -> None:
    if region_key(existing_location) != location.name:
        raise ArmErrorResponse(
            409,
            "InvalidResourceLocation",
            f"The resource '{resource_name}' already exists in location '{existing_location}' "
            f"in resource group '{rg}'. A resource with the same name cannot be created in "
            f"location '{location.name}'. Please select a new resource name.",
        )


def os_type_and_state(os_type: str | None, os_state: str | None, at: str) -> tuple[str, str]:
    """The canonical ``osType`` and ``osState`` sent under the JSON path ``at``."""
    return (
        canonical(os_type, ("Windows", "Linux"), "OperatingSystemTypes", f"{at}.osType"),
        canonical(
            os_state,
            ("Generalized", "Specialized"),
            "OperatingSystemStateTypes",
            f"{at}.osState",
        ),
    )


def sent_properties(raw: dict[str, Any], *read_only: str) -> dict[str, Any]:
    """What the client sent under ``properties``, less the read-only members Azure ignores."""
    properties = dict(raw.get("properties") or {})
    for name in read_only:
        properties.pop(name, None)
    return properties


# Life cycle -------------------------------------------------------------------------------------


def being_deleted(what: str, name: str) -> ArmErrorResponse:
    """A PUT of a resource whose DELETE is still running, e.g. ``what`` ``Gallery image``."""
    return operation_not_allowed(f"{what} '{name}' is being deleted.")
