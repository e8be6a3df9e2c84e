"""Run Azure's "migrate a managed image to a gallery" guide against an ARM endpoint.

Meant for a running emulator (``python -m emulator --time-scale 600``)::

    python scripts/azure_guide.py http://127.0.0.1:8480

It uses nothing but azure-mgmt-compute: it seeds a gallery and a managed image by PUT, then follows
the guide: get the gallery, create an image definition, get the image, create a version replicated
to two regions with replica counts, watch its ReplicationStatus until every region has completed,
and delete the managed image. Progress goes to stdout.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as m


class _StaticToken:
    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


class _Bearer(SansIOHTTPPolicy[Any, Any]):
    # azure-core's bearer policy refuses plain http, which is what a local emulator serves.
    def __init__(self, token: str) -> None:
        self._token = token

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.headers["Authorization"] = f"Bearer {self._token}"


def _text(value: object) -> str:
    """An SDK enum member's wire value (``Succeeded``), or the value itself."""
    return str(getattr(value, "value", value))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("endpoint", help="the ARM endpoint, e.g. http://127.0.0.1:8480")
    parser.add_argument("--subscription", default="00000000-0000-0000-0000-000000000001")
    parser.add_argument("--resource-group", default="myResourceGroup")
    parser.add_argument("--gallery", default="myGallery")
    parser.add_argument("--image", default="myImage")
    parser.add_argument("--definition", default="myImageDefinition")
    parser.add_argument("--version", default="1.0.0")
    parser.add_argument("--location", default="eastus")
    parser.add_argument("--second-region", default="westus2")
    parser.add_argument(
        "--poll-seconds", type=float, default=2.0, help="wall seconds between polls"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="wall seconds to wait at most")
    parser.add_argument("--token", default="emulator")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    rg, location = args.resource_group, args.location
    client = ComputeManagementClient(
        credential=_StaticToken(args.token),
        subscription_id=args.subscription,
        base_url=args.endpoint,
        authentication_policy=_Bearer(args.token),
        polling_interval=0.1,
    )

    print(f"seed: gallery {args.gallery} and managed image {args.image} in {location}")
    client.galleries.begin_create_or_update(rg, args.gallery, m.Gallery(location=location)).result()
    client.images.begin_create_or_update(
        rg,
        args.image,
        m.Image(
            location=location,
            properties=m.ImageProperties(
                hyper_v_generation="V2",
                storage_profile=m.ImageStorageProfile(
                    os_disk=m.ImageOSDisk(os_type="Linux", os_state="Generalized", disk_size_gb=30),
                    data_disks=[m.ImageDataDisk(lun=0, disk_size_gb=64)],
                ),
            ),
        ),
    ).result()

    gallery = client.galleries.get(rg, args.gallery)
    print(f"1. gallery {gallery.name}: {_text(gallery.provisioning_state)}")

    definition = client.gallery_images.begin_create_or_update(
        rg,
        args.gallery,
        args.definition,
        m.GalleryImage(
            location=location,
            properties=m.GalleryImageProperties(
                os_type="Linux",
                os_state="Generalized",
                hyper_v_generation="V2",
                identifier=m.GalleryImageIdentifier(
                    publisher="myPublisher", offer="myOffer", sku="mySKU"
                ),
            ),
        ),
    ).result()
    print(f"2. definition {definition.name}: {_text(definition.provisioning_state)}")

    image = client.images.get(rg, args.image)
    os_disk = image.storage_profile.os_disk
    print(
        f"3. image {image.name}: {_text(os_disk.os_type)} {_text(image.hyper_v_generation)}, "
        f"{os_disk.disk_size_gb} GB, {_text(image.provisioning_state)}"
    )

    targets = [(location, 1), (args.second_region, 2)]
    # Start the PUT and poll the version ourselves: its operation ends only when replication does.
    client.gallery_image_versions.begin_create_or_update(
        rg,
        args.gallery,
        args.definition,
        args.version,
        m.GalleryImageVersion(
            location=location,
            properties=m.GalleryImageVersionProperties(
                publishing_profile=m.GalleryImageVersionPublishingProfile(
                    target_regions=[
                        m.TargetRegion(
                            name=name,
                            regional_replica_count=count,
                            storage_account_type="Standard_LRS",
                        )
                        for name, count in targets
                    ]
                ),
                storage_profile=m.GalleryImageVersionStorageProfile(
                    source=m.GalleryArtifactVersionFullSource(id=image.id)
                ),
            ),
        ),
        polling=False,
    )
    print(f"4. version {args.version} to {', '.join(f'{n} x{c}' for n, c in targets)}")

    deadline = time.monotonic() + args.timeout
    while True:
        version = client.gallery_image_versions.get(
            rg, args.gallery, args.definition, args.version, expand="ReplicationStatus"
        )
        status = version.replication_status
        regions = ", ".join(f"{s.region} {_text(s.state)} {s.progress}%" for s in status.summary)
        print(f"5. {_text(version.provisioning_state)}: {regions}", flush=True)
        if version.provisioning_state in ("Succeeded", "Failed"):
            break
        if time.monotonic() > deadline:
            print("timed out waiting for replication", file=sys.stderr)
            return 1
        time.sleep(args.poll_seconds)
    if version.provisioning_state != "Succeeded":
        print("replication failed; the managed image is kept", file=sys.stderr)
        return 1

    client.images.begin_delete(rg, args.image).result()
    print(f"6. deleted managed image {args.image}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
