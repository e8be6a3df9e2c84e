"""Which image definition an image goes to: an existing one that can take it, or a new one.

Every property of a new definition is stated (OS type and state, Hyper-V generation, identifier,
security type), since since api-version 2025-03-03 Azure fills in an omitted generation or
security type with its own default. An existing definition is adopted as it is, never changed:
Azure refuses most changes, and a change would alter what its other versions promise.
"""

from __future__ import annotations

from migration.domain import rules
from migration.domain.facts import Data, DefinitionFacts, GalleryFacts, Identifier, ImageFacts
from migration.domain.naming import derive_identifier
from migration.domain.request import ImageSpec


class DefinitionPlan(Data):
    name: str
    create: bool
    os_type: str
    os_state: str = "Generalized"
    hyper_v_generation: str
    identifier: Identifier
    security_type: str = "Standard"


class DefinitionPlanner:
    """Plans definitions image by image, remembering what earlier images of the request planned:
    one definition is created once, and identifiers stay unique in the gallery."""

    def __init__(self, gallery: GalleryFacts, default_publisher: str | None) -> None:
        self.gallery = gallery
        self.default_publisher = default_publisher
        self.planned: dict[str, DefinitionPlan] = {}
        self.identifiers = {d.identifier.key(): d.name for d in gallery.definitions}

    def plan(
        self,
        spec: ImageSpec,
        image: ImageFacts,
        name: str,
        asked_security: str | None,
        problems: list[str],
        notes: list[str],
    ) -> DefinitionPlan | None:
        """The definition ``image`` goes to, or ``None`` with the reasons added to ``problems``."""
        generation = image.hyper_v_generation or "V1"
        existing = self.gallery.definition(name)
        if existing is not None:
            problems.extend(incompatibilities(spec, image, existing, asked_security))
            if problems:
                return None
            return DefinitionPlan(
                name=existing.name,
                create=False,
                os_type=existing.os_type,
                os_state=existing.os_state,
                hyper_v_generation=existing.hyper_v_generation,
                identifier=existing.identifier,
                security_type=existing.effective_security_type,
            )
        security = asked_security or rules.default_security_type(generation)
        if (earlier := self.planned.get(name.lower())) is not None:
            if (earlier.os_type.lower(), earlier.hyper_v_generation.upper()) != (
                image.os_type.lower(),
                generation.upper(),
            ):
                problems.append(
                    f"Definition {name} is planned for a {earlier.os_type} "
                    f"{earlier.hyper_v_generation} image; this image is {image.os_type} "
                    f"{generation}."
                )
                return None
            if asked_security and asked_security != earlier.security_type:
                problems.append(
                    f"Definition {name} is planned as {earlier.security_type}; this image asks "
                    f"for {asked_security}."
                )
                return None
            return earlier
        if error := rules.security_type_generation_error(security, generation):
            problems.append(error)
            return None
        identifier = derive_identifier(
            definition_name=name,
            image=image,
            publisher=spec.definition.publisher,
            offer=spec.definition.offer,
            sku=spec.definition.sku,
            default_publisher=self.default_publisher,
        )
        if (holder := self.identifiers.get(identifier.key())) is not None:
            problems.append(
                f"Identifier {identifier} is already used by definition {holder} in this "
                "gallery; give definition.publisher, offer or sku to make it unique."
            )
            return None
        if security in rules.CONFIDENTIAL_SECURITY_TYPES and (
            image.os_disk_gb > rules.CONFIDENTIAL_ADVISED_OS_DISK_GB
        ):
            notes.append(
                f"the OS disk is {image.os_disk_gb} GB; Azure advises under "
                f"{rules.CONFIDENTIAL_ADVISED_OS_DISK_GB} GB for confidential VMs"
            )
        return DefinitionPlan(
            name=name,
            create=True,
            os_type=image.os_type,
            hyper_v_generation=generation,
            identifier=identifier,
            security_type=security,
        )

    def remember(self, definition: DefinitionPlan) -> None:
        """An image was planned into a new ``definition``: later images share it."""
        if definition.create:
            self.planned.setdefault(definition.name.lower(), definition)
            self.identifiers.setdefault(definition.identifier.key(), definition.name)


def incompatibilities(
    spec: ImageSpec, image: ImageFacts, existing: DefinitionFacts, asked_security: str | None
) -> list[str]:
    """Why an existing definition cannot take this image (it is never changed to fit)."""
    found = []
    where = f"Definition {existing.name}"
    if existing.os_type.lower() != image.os_type.lower():
        found.append(f"{where} is for {existing.os_type}; the image is {image.os_type}.")
    if existing.os_state.lower() != "generalized":
        found.append(f"{where} is {existing.os_state}; managed images are Generalized.")
    generation = image.hyper_v_generation or "V1"
    if existing.hyper_v_generation.upper() != generation.upper():
        found.append(
            f"{where} has Hyper-V generation {existing.hyper_v_generation}; "
            f"the image is {generation}."
        )
    security = existing.effective_security_type
    if security not in rules.MANAGED_IMAGE_SECURITY_TYPES:
        found.append(
            f"{where} is {security}: it needs sources with VM guest state; a managed image is "
            "not one."
        )
    elif asked_security and asked_security != security:
        found.append(f"{where} is {security}, not {asked_security} as asked; it is left unchanged.")
    for part in ("publisher", "offer", "sku"):
        asked = getattr(spec.definition, part)
        actual = getattr(existing.identifier, part)
        if asked is not None and asked.lower() != actual.lower():
            found.append(f"{where} has {part} '{actual}', not '{asked}'.")
    return found
