"""Image definition rules: what a definition's PUT may say, and what a re-PUT may change.

``definition_spec`` reads and checks a PUT's body (names are in ``rules.names``) and fills in the
defaults of the request's api-version; the service (``service/definitions.py``) applies the
result.

From api-version 2025-03-03 ("Trusted Launch as default", Azure Compute Gallery's what's new, July
2025) a new definition without ``hyperVGeneration`` is ``V2``, and a ``V2`` definition without a
``SecurityType`` feature gets ``SecurityType=TrustedLaunchSupported``; a ``V1`` one stays Standard
(no feature). The defaults apply property by property: Azure PowerShell adds both only when
neither is given, but that is the client's rule; the service's is phrased per Gen2 definition
("TrustedLaunchSupported by default for new Gen2 ACG image definitions"), so a request that states
only ``V2`` gets the feature and one that states only a security type gets ``V2``. Earlier
api-versions default to ``V1`` and add nothing. The defaults belong to the request that creates
the definition: a re-PUT that leaves either out keeps what the definition has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator import bodies
from emulator.errors import (
    invalid_parameter,
    operation_not_allowed,
    property_change_not_allowed,
    required_missing,
)
from emulator.regions import Region
from emulator.resources import Definition
from emulator.rules.common import (
    canonical,
    check_end_of_life,
    check_location,
    os_type_and_state,
    sent_properties,
)
from emulator.rules.names import check_identifier

#: From this api-version on, a new definition defaults to V2 and a V2 one to TrustedLaunchSupported.
TRUSTED_LAUNCH_DEFAULT_SINCE = "2025-03-03"
#: ``features[name=SecurityType]`` values, canonical casing.
SECURITY_TYPES = (
    "Standard",
    "TrustedLaunchSupported",
    "TrustedLaunch",
    "ConfidentialVMSupported",
    "ConfidentialVM",
    "TrustedLaunchAndConfidentialVmSupported",
)


@dataclass(frozen=True)
class DefinitionSpec:
    location: Region
    tags: dict[str, str]
    #: What the client sent under ``properties``, enums canonical and defaults filled in.
    properties: dict[str, Any]
    os_type: str
    os_state: str
    hyper_v_generation: str
    architecture: str
    identifier: tuple[str, str, str]
    features: dict[str, str]
    allow_update_image: bool


_DEFINITION = "galleryImage.properties"


def definition_spec(
    body: bodies.DefinitionBody,
    raw: dict[str, Any],
    now: datetime,
    api_version: str = "",
    existing: Definition | None = None,
) -> DefinitionSpec:
    """The definition a PUT describes; ``existing`` (a re-PUT) supplies what it leaves out."""
    location = check_location(body.location, "Microsoft.Compute/galleries/images")
    props = body.properties
    if props is None:
        raise required_missing(_DEFINITION)
    os_type, os_state = os_type_and_state(props.os_type, props.os_state, _DEFINITION)
    trusted_default = api_version >= TRUSTED_LAUNCH_DEFAULT_SINCE
    if existing is not None:
        default_generation = existing.hyper_v_generation
    else:
        default_generation = "V2" if trusted_default else "V1"
    hyper_v = canonical(
        props.hyper_v_generation or default_generation,
        ("V1", "V2"),
        "HyperVGeneration",
        f"{_DEFINITION}.hyperVGeneration",
    )
    architecture = canonical(
        props.architecture or "x64", ("x64", "Arm64"), "Architecture", f"{_DEFINITION}.architecture"
    )
    identifier = check_identifier(props.identifier)
    check_end_of_life(props.end_of_life_date, now, f"{_DEFINITION}.endOfLifeDate")
    features = {
        (feature.name or "").lower(): feature.value or "" for feature in props.features or []
    }
    properties = sent_properties(raw, "provisioningState")
    if "securitytype" in features:
        _check_security_type(features["securitytype"], hyper_v)
    else:
        if existing is not None:
            security = existing.features.get("securitytype")
        else:
            security = "TrustedLaunchSupported" if trusted_default and hyper_v == "V2" else None
        if security is not None:
            features["securitytype"] = security
            properties["features"] = [
                *(properties.get("features") or []),
                {"name": "SecurityType", "value": security},
            ]
    properties.update(
        {
            "osType": os_type,
            "osState": os_state,
            "hyperVGeneration": hyper_v,
            "architecture": architecture,
        }
    )
    return DefinitionSpec(
        location=location,
        tags=dict(body.tags or {}),
        properties=properties,
        os_type=os_type,
        os_state=os_state,
        hyper_v_generation=hyper_v,
        architecture=architecture,
        identifier=identifier,
        features=features,
        allow_update_image=bool(props.allow_update_image),
    )


def _check_security_type(value: str, hyper_v: str) -> None:
    """A known ``SecurityType``; every type but ``Standard`` needs a V2 definition."""
    canonical_value = next((t for t in SECURITY_TYPES if t.lower() == value.lower()), None)
    if canonical_value is None:
        # Azure's text for an unknown value is not documented; the emulator names the known ones.
        raise invalid_parameter(
            f"The value '{value}' of feature 'SecurityType' is invalid. Allowed values are "
            f"{', '.join(SECURITY_TYPES)}.",
            target=f"{_DEFINITION}.features",
        )
    if canonical_value != "Standard" and hyper_v != "V2":
        raise invalid_parameter(
            f"The feature 'SecurityType' with value '{value}' requires "
            "'galleryImage.properties.hyperVGeneration' to be 'V2'.",
            target=f"{_DEFINITION}.features",
        )


def check_definition_change(existing: Definition, spec: DefinitionSpec) -> None:
    """``PropertyChangeNotAllowed`` when a PUT would change what a definition is."""
    immutable = (
        ("osType", existing.os_type, spec.os_type),
        ("osState", existing.os_state, spec.os_state),
        ("hyperVGeneration", existing.hyper_v_generation, spec.hyper_v_generation),
        ("architecture", existing.properties.get("architecture", "x64"), spec.architecture),
    )
    for name, old, new in immutable:
        if old != new:
            raise property_change_not_allowed(f"{_DEFINITION}.{name}")
    if not _same_identifier(existing.identifier, spec.identifier):
        raise property_change_not_allowed(f"{_DEFINITION}.identifier")
    allow_update = spec.allow_update_image or bool(existing.properties.get("allowUpdateImage"))
    if existing.features != spec.features and not allow_update:
        raise property_change_not_allowed(f"{_DEFINITION}.features")


def check_identifier_free(spec: DefinitionSpec, siblings: Iterable[Definition]) -> None:
    """``OperationNotAllowed`` when another definition in the gallery has the same identifier."""
    for other in siblings:
        if _same_identifier(other.identifier, spec.identifier):
            publisher, offer, sku = other.identifier
            raise operation_not_allowed(
                f"Gallery image: {other.name} identified by (publisher:{publisher}, "
                f"offer:{offer}, sku:{sku}) already exists. Choose a different publisher, offer, "
                "sku combination."
            )


def _same_identifier(one: tuple[str, str, str], other: tuple[str, str, str]) -> bool:
    # Azure compares identifiers case-insensitively.
    return tuple(part.lower() for part in one) == tuple(part.lower() for part in other)
