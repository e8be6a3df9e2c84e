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
    #: Whether the region offers zone-redundant storage (``Standard_ZRS``), that is, has
    #: availability zones.
    zrs: bool
    #: Where it is (ARM's ``metadata.physicalLocation``).
    place: str


_TABLE: tuple[tuple[str, str, str, bool, str], ...] = (
    ("eastus", "East US", "US", True, "Virginia"),
    ("eastus2", "East US 2", "US", True, "Virginia"),
    ("centralus", "Central US", "US", True, "Iowa"),
    ("northcentralus", "North Central US", "US", False, "Illinois"),
    ("southcentralus", "South Central US", "US", True, "Texas"),
    ("westcentralus", "West Central US", "US", False, "Wyoming"),
    ("westus", "West US", "US", False, "California"),
    ("westus2", "West US 2", "US", True, "Washington"),
    ("westus3", "West US 3", "US", True, "Phoenix"),
    ("canadacentral", "Canada Central", "Canada", True, "Toronto"),
    ("canadaeast", "Canada East", "Canada", False, "Quebec"),
    ("mexicocentral", "Mexico Central", "Mexico", True, "Querétaro State"),
    ("brazilsouth", "Brazil South", "Brazil", True, "Sao Paulo State"),
    ("brazilsoutheast", "Brazil Southeast", "Brazil", False, "Rio"),
    ("northeurope", "North Europe", "Europe", True, "Ireland"),
    ("westeurope", "West Europe", "Europe", True, "Netherlands"),
    ("uksouth", "UK South", "UK", True, "London"),
    ("ukwest", "UK West", "UK", False, "Cardiff"),
    ("francecentral", "France Central", "France", True, "Paris"),
    ("francesouth", "France South", "France", False, "Marseille"),
    ("germanywestcentral", "Germany West Central", "Germany", True, "Frankfurt"),
    ("germanynorth", "Germany North", "Germany", False, "Berlin"),
    ("italynorth", "Italy North", "Italy", True, "Milan"),
    ("norwayeast", "Norway East", "Norway", True, "Norway"),
    ("norwaywest", "Norway West", "Norway", False, "Norway"),
    ("polandcentral", "Poland Central", "Poland", True, "Warsaw"),
    ("spaincentral", "Spain Central", "Spain", True, "Madrid"),
    ("swedencentral", "Sweden Central", "Sweden", True, "Gävle"),
    ("switzerlandnorth", "Switzerland North", "Switzerland", True, "Zurich"),
    ("switzerlandwest", "Switzerland West", "Switzerland", False, "Geneva"),
    ("uaenorth", "UAE North", "UAE", True, "Dubai"),
    ("uaecentral", "UAE Central", "UAE", False, "Abu Dhabi"),
    ("qatarcentral", "Qatar Central", "Qatar", True, "Doha"),
    ("israelcentral", "Israel Central", "Israel", True, "Israel"),
    ("southafricanorth", "South Africa North", "South Africa", True, "Johannesburg"),
    ("southafricawest", "South Africa West", "South Africa", False, "Cape Town"),
    ("centralindia", "Central India", "India", True, "Pune"),
    ("southindia", "South India", "India", False, "Chennai"),
    ("westindia", "West India", "India", False, "Mumbai"),
    ("eastasia", "East Asia", "Asia Pacific", True, "Hong Kong"),
    ("southeastasia", "Southeast Asia", "Asia Pacific", True, "Singapore"),
    ("japaneast", "Japan East", "Japan", True, "Tokyo, Saitama"),
    ("japanwest", "Japan West", "Japan", False, "Osaka"),
    ("koreacentral", "Korea Central", "Korea", True, "Seoul"),
    ("koreasouth", "Korea South", "Korea", False, "Busan"),
    ("australiaeast", "Australia East", "Australia", True, "New South Wales"),
    ("australiasoutheast", "Australia Southeast", "Australia", False, "Victoria"),
    ("australiacentral", "Australia Central", "Australia", False, "Canberra"),
    ("newzealandnorth", "New Zealand North", "New Zealand", True, "Auckland"),
)

REGIONS: dict[str, Region] = {
    name: Region(name, display, geography, zrs, place)
    for name, display, geography, zrs, place in _TABLE
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
#: ``GET /subscriptions/{id}/locations`` reports them. The UK regions' group is ``UK`` since
#: October 2025 (Azure update "Locations API Update for UK Azure Regions"; ``Europe`` before).
ARM_GEOGRAPHIES: dict[str, tuple[str, str]] = {
    "US": ("United States", "US"),
    "Canada": ("Canada", "Canada"),
    "Mexico": ("Mexico", "Mexico"),
    "Brazil": ("Brazil", "South America"),
    "Europe": ("Europe", "Europe"),
    "UK": ("United Kingdom", "UK"),
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

#: The logical locations ARM's locations list also carries (``metadata.regionType: Logical``):
#: geographies, and ``global``. They name no datacenter, so no gallery or image can be in one
#: and the compute API refuses them; a client reading the list must tell them apart.
LOGICAL_LOCATIONS: dict[str, str] = {
    "asia": "Asia",
    "asiapacific": "Asia Pacific",
    "australia": "Australia",
    "brazil": "Brazil",
    "canada": "Canada",
    "europe": "Europe",
    "france": "France",
    "germany": "Germany",
    "global": "Global",
    "india": "India",
    "japan": "Japan",
    "korea": "Korea",
    "norway": "Norway",
    "southafrica": "South Africa",
    "switzerland": "Switzerland",
    "uae": "United Arab Emirates",
    "uk": "United Kingdom",
    "unitedstates": "United States",
}
