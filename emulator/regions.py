"""Azure's public regions: the short names requests use and the display names responses carry.

Requests name regions as ``westus2`` (or sometimes ``West US 2``); gallery responses answer with
display names. Both normalise to the same key: lower case without spaces.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    name: str
    display_name: str
    geography: str
    #: Whether the region offers zone-redundant storage (``Standard_ZRS``).
    zrs: bool


_TABLE: tuple[tuple[str, str, str, bool], ...] = (
    ("eastus", "East US", "US", True),
    ("eastus2", "East US 2", "US", True),
    ("centralus", "Central US", "US", True),
    ("northcentralus", "North Central US", "US", False),
    ("southcentralus", "South Central US", "US", True),
    ("westcentralus", "West Central US", "US", False),
    ("westus", "West US", "US", False),
    ("westus2", "West US 2", "US", True),
    ("westus3", "West US 3", "US", True),
    ("canadacentral", "Canada Central", "Canada", True),
    ("canadaeast", "Canada East", "Canada", False),
    ("mexicocentral", "Mexico Central", "Mexico", True),
    ("brazilsouth", "Brazil South", "Brazil", True),
    ("brazilsoutheast", "Brazil Southeast", "Brazil", False),
    ("northeurope", "North Europe", "Europe", True),
    ("westeurope", "West Europe", "Europe", True),
    ("uksouth", "UK South", "UK", True),
    ("ukwest", "UK West", "UK", False),
    ("francecentral", "France Central", "France", True),
    ("francesouth", "France South", "France", False),
    ("germanywestcentral", "Germany West Central", "Germany", True),
    ("germanynorth", "Germany North", "Germany", False),
    ("italynorth", "Italy North", "Italy", True),
    ("norwayeast", "Norway East", "Norway", True),
    ("norwaywest", "Norway West", "Norway", False),
    ("polandcentral", "Poland Central", "Poland", True),
    ("spaincentral", "Spain Central", "Spain", True),
    ("swedencentral", "Sweden Central", "Sweden", True),
    ("switzerlandnorth", "Switzerland North", "Switzerland", True),
    ("switzerlandwest", "Switzerland West", "Switzerland", False),
    ("uaenorth", "UAE North", "UAE", True),
    ("uaecentral", "UAE Central", "UAE", False),
    ("qatarcentral", "Qatar Central", "Qatar", True),
    ("israelcentral", "Israel Central", "Israel", True),
    ("southafricanorth", "South Africa North", "South Africa", True),
    ("southafricawest", "South Africa West", "South Africa", False),
    ("centralindia", "Central India", "India", True),
    ("southindia", "South India", "India", False),
    ("westindia", "West India", "India", False),
    ("eastasia", "East Asia", "Asia Pacific", True),
    ("southeastasia", "Southeast Asia", "Asia Pacific", True),
    ("japaneast", "Japan East", "Japan", True),
    ("japanwest", "Japan West", "Japan", False),
    ("koreacentral", "Korea Central", "Korea", True),
    ("koreasouth", "Korea South", "Korea", False),
    ("australiaeast", "Australia East", "Australia", True),
    ("australiasoutheast", "Australia Southeast", "Australia", False),
    ("australiacentral", "Australia Central", "Australia", False),
    ("newzealandnorth", "New Zealand North", "New Zealand", True),
)

REGIONS: dict[str, Region] = {
    name: Region(name, display, geography, zrs) for name, display, geography, zrs in _TABLE
}


def region_key(name: str) -> str:
    """The comparison key for a region name, short or display: lower case, no spaces."""
    return "".join(name.split()).lower()


def find_region(name: str) -> Region | None:
    """The region ``name`` refers to (``westus2``, ``West US 2``, ``WESTUS2``), if Azure has it."""
    return REGIONS.get(region_key(name))


def available_regions_text() -> str:
    """The list ARM quotes when a location is not available for a resource type."""
    return ",".join(REGIONS)


#: ARM's names for the geographies above (``metadata.geography``) and the group its
#: ``regionalDisplayName`` is prefixed with (``metadata.geographyGroup``), as
#: ``GET /subscriptions/{id}/locations`` reports them.
ARM_GEOGRAPHIES: dict[str, tuple[str, str]] = {
    "US": ("United States", "US"),
    "Canada": ("Canada", "Canada"),
    "Mexico": ("Mexico", "Mexico"),
    "Brazil": ("Brazil", "South America"),
    "Europe": ("Europe", "Europe"),
    "UK": ("United Kingdom", "Europe"),
    "France": ("France", "Europe"),
    "Germany": ("Germany", "Europe"),
    "Italy": ("Italy", "Europe"),
    "Norway": ("Norway", "Europe"),
    "Poland": ("Poland", "Europe"),
    "Spain": ("Spain", "Europe"),
    "Sweden": ("Sweden", "Europe"),
    "Switzerland": ("Switzerland", "Europe"),
    "UAE": ("UAE", "Middle East"),
    "Qatar": ("Qatar", "Middle East"),
    "Israel": ("Israel", "Middle East"),
    "South Africa": ("South Africa", "Africa"),
    "India": ("India", "Asia Pacific"),
    "Asia Pacific": ("Asia Pacific", "Asia Pacific"),
    "Japan": ("Japan", "Asia Pacific"),
    "Korea": ("Korea", "Asia Pacific"),
    "Australia": ("Australia", "Asia Pacific"),
    "New Zealand": ("New Zealand", "Asia Pacific"),
}

#: Each region's paired region (Azure's cross-region replication pairs), where it has one in the
#: table above. Some pairs are one-way (Brazil South, West US 3, West India); regions without a
#: pair (Poland Central, Italy North, Mexico Central...) are absent.
PAIRED_REGIONS: dict[str, str] = {
    "eastus": "westus",
    "westus": "eastus",
    "eastus2": "centralus",
    "centralus": "eastus2",
    "northcentralus": "southcentralus",
    "southcentralus": "northcentralus",
    "westus2": "westcentralus",
    "westcentralus": "westus2",
    "westus3": "eastus",
    "canadacentral": "canadaeast",
    "canadaeast": "canadacentral",
    "brazilsouth": "southcentralus",
    "brazilsoutheast": "brazilsouth",
    "northeurope": "westeurope",
    "westeurope": "northeurope",
    "uksouth": "ukwest",
    "ukwest": "uksouth",
    "francecentral": "francesouth",
    "francesouth": "francecentral",
    "germanywestcentral": "germanynorth",
    "germanynorth": "germanywestcentral",
    "norwayeast": "norwaywest",
    "norwaywest": "norwayeast",
    "switzerlandnorth": "switzerlandwest",
    "switzerlandwest": "switzerlandnorth",
    "uaenorth": "uaecentral",
    "uaecentral": "uaenorth",
    "southafricanorth": "southafricawest",
    "southafricawest": "southafricanorth",
    "centralindia": "southindia",
    "southindia": "centralindia",
    "westindia": "southindia",
    "eastasia": "southeastasia",
    "southeastasia": "eastasia",
    "japaneast": "japanwest",
    "japanwest": "japaneast",
    "koreacentral": "koreasouth",
    "koreasouth": "koreacentral",
    "australiaeast": "australiasoutheast",
    "australiasoutheast": "australiaeast",
}
