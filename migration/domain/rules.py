"""The Compute Gallery's rules that can be checked before anything is created.

Each check returns an error message in the service's words, or ``None`` when the value is valid,
so that request validation can collect every problem in one answer.
"""

from __future__ import annotations

import re
import unicodedata

MAX_VERSION_PART = 2**31 - 1
MIN_REPLICAS = 1
MAX_REPLICAS = 100
DEPLOYMENTS_PER_REPLICA = 20
# Data disk LUNs of a managed image (and so of a version's data disk images).
MAX_LUN = 63
STORAGE_ACCOUNT_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS")

_GALLERY_NAME = re.compile(r"[A-Za-z0-9_.]{1,80}")
_DEFINITION_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?")
_IDENTIFIER_PART = re.compile(r"[A-Za-z0-9._-]+")
# ASCII digits only: \d would take other scripts' digits, which ARM refuses.
_VERSION = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")
_REGION = re.compile(r"[a-z][a-z0-9]{1,40}")
IDENTIFIER_LIMITS = {"publisher": 128, "offer": 64, "sku": 64}

# A definition's security type (its `SecurityType` feature). A managed image can feed the
# "Supported" kinds only, on Hyper-V generation 2; TrustedLaunch and ConfidentialVM need a source
# with VM guest state, which a managed image never has.
SECURITY_TYPES = (
    "Standard",
    "TrustedLaunchSupported",
    "ConfidentialVMSupported",
    "TrustedLaunchAndConfidentialVmSupported",
    "TrustedLaunch",
    "ConfidentialVM",
)
MANAGED_IMAGE_SECURITY_TYPES = SECURITY_TYPES[:4]
GEN2_ONLY_SECURITY_TYPES = SECURITY_TYPES[1:]
CONFIDENTIAL_SECURITY_TYPES = ("ConfidentialVMSupported", "TrustedLaunchAndConfidentialVmSupported")
# Azure advises an OS disk under 32 GB for confidential VMs (advice, not a rule).
CONFIDENTIAL_ADVISED_OS_DISK_GB = 32


def gallery_name_error(name: str) -> str | None:
    if _GALLERY_NAME.fullmatch(name):
        return None
    return (
        f"Gallery name '{name}' is invalid: use up to 80 letters, digits, underscores and "
        "periods (no dashes)."
    )


def definition_name_error(name: str) -> str | None:
    if _DEFINITION_NAME.fullmatch(name):
        return None
    return (
        f"Gallery image name '{name}' is invalid: use up to 80 letters, digits, underscores, "
        "dashes and periods, starting with a letter or digit and not ending with a period or dash."
    )


def identifier_part_error(part: str, value: str) -> str | None:
    limit = IDENTIFIER_LIMITS[part]
    if not value:
        return f"The {part} must not be empty."
    if len(value) > limit:
        return f"The {part} '{value}' is longer than {limit} characters."
    if not _IDENTIFIER_PART.fullmatch(value) or value.endswith("."):
        return (
            f"The {part} '{value}' is invalid: use letters, digits, dashes, underscores and "
            "periods, not ending with a period."
        )
    return None


def parse_version(name: str) -> tuple[int, int, int] | None:
    """``Major.Minor.Patch`` as three 32-bit integers, or ``None`` if it is not one."""
    match = _VERSION.fullmatch(name)
    # Over ten digits is over 2**31 anyway, and int() of thousands of digits raises.
    if not match or any(len(part) > 10 for part in match.groups()):
        return None
    parts = (int(match[1]), int(match[2]), int(match[3]))
    if any(part > MAX_VERSION_PART for part in parts):
        return None
    return parts


def version_name_error(name: str) -> str | None:
    """A version name a request may ask for: Major.Minor.Patch, canonical (no leading zeros:
    "01.0.0" is the same version number as "1.0.0", which may exist already)."""
    parts = parse_version(name)
    if parts is not None and format_version(parts) == name:
        return None
    return (
        f"Gallery image version name '{name}' is invalid: it must be Major.Minor.Patch, "
        f"each a whole number from 0 to {MAX_VERSION_PART} without leading zeros."
    )


def format_version(parts: tuple[int, int, int]) -> str:
    return ".".join(str(part) for part in parts)


def normalize_region(name: str) -> str:
    """ARM answers with display names ("West US 2") but takes short names ("westus2")."""
    return "".join(name.split()).lower()


def region_name_error(name: str) -> str | None:
    if _REGION.fullmatch(normalize_region(name)):
        return None
    return f"'{name}' is not an Azure region name (expected a name like 'westus2')."


def replicas_for_deployments(deployments: int) -> int:
    """One replica serves about 20 simultaneous VM deployments (Azure's guidance)."""
    return max(MIN_REPLICAS, -(-deployments // DEPLOYMENTS_PER_REPLICA))


def security_type(value: str) -> str | None:
    """The canonical spelling of a security type (the service compares them case-insensitively)."""
    return next((t for t in SECURITY_TYPES if t.lower() == value.strip().lower()), None)


def security_type_error(value: str) -> str | None:
    canonical = security_type(value)
    if canonical is None:
        choices = ", ".join(MANAGED_IMAGE_SECURITY_TYPES)
        return f"'{value}' is not a security type; use one of {choices}"
    if canonical not in MANAGED_IMAGE_SECURITY_TYPES:
        return (
            f"{canonical} needs a source with VM guest state, which a managed image never has; "
            f"use one of {', '.join(MANAGED_IMAGE_SECURITY_TYPES)}"
        )
    return None


def default_security_type(hyper_v_generation: str) -> str:
    """What a new definition for an image of this generation is, unless asked otherwise: Trusted
    Launch capable on Gen2 (Azure's own default since api-version 2025-03-03), Standard on Gen1."""
    return "TrustedLaunchSupported" if hyper_v_generation.upper() == "V2" else "Standard"


def security_type_generation_error(security_type: str, hyper_v_generation: str) -> str | None:
    if security_type in GEN2_ONLY_SECURITY_TYPES and hyper_v_generation.upper() != "V2":
        return (
            f"Security type {security_type} needs Hyper-V generation V2; "
            f"the image is {hyper_v_generation}."
        )
    return None


# Bidirectional formatting characters: they reorder what a log line or a page shows.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def free_text_error(value: str) -> str | None:
    """Text people write (an approver's name, a reason) that is safe to log and to show: no
    control characters, line or paragraph separators, or bidirectional overrides."""
    for char in value:
        if unicodedata.category(char) in {"Cc", "Cs", "Zl", "Zp"} or char in _BIDI_CONTROLS:
            return f"must not contain control characters (found U+{ord(char):04X})"
    return None
