"""The durable client binding: the JSON the extension passes to ``durable_client_input`` params."""

from __future__ import annotations

import json
from urllib.parse import quote

from devhost.history import JsonDict

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
# The extension writes this placeholder into managementUrls; the SDK substitutes instance ids.
INSTANCE_PLACEHOLDER = "INSTANCEID"
CONNECTION_NAME = "Storage"


def query_suffix(hub: str) -> str:
    return f"taskHub={quote(hub)}&connection={CONNECTION_NAME}"


def management_links(origin: str, instance_id: str, hub: str) -> JsonDict:
    """The check-status payload (HttpManagementPayload) for ``instance_id``."""
    base = origin.rstrip("/") + WEBHOOK_PATH
    instance = f"{base}/instances/{quote(instance_id, safe='')}"
    suffix = query_suffix(hub)
    return {
        "id": instance_id,
        "statusQueryGetUri": f"{instance}?{suffix}",
        "sendEventPostUri": f"{instance}/raiseEvent/{{eventName}}?{suffix}",
        "terminatePostUri": f"{instance}/terminate?reason={{text}}&{suffix}",
        "rewindPostUri": f"{instance}/rewind?reason={{text}}&{suffix}",
        "purgeHistoryDeleteUri": f"{instance}?{suffix}",
        "restartPostUri": f"{instance}/restart?{suffix}",
        "suspendPostUri": f"{instance}/suspend?reason={{text}}&{suffix}",
        "resumePostUri": f"{instance}/resume?reason={{text}}&{suffix}",
    }


def check_status_body(origin: str, instance_id: str, hub: str) -> JsonDict:
    """What HttpApiHandler.CreateCheckStatusResponseMessage answers (no rewind link)."""
    links = management_links(origin, instance_id, hub)
    return {
        key: links[key]
        for key in (
            "id",
            "statusQueryGetUri",
            "sendEventPostUri",
            "terminatePostUri",
            "purgeHistoryDeleteUri",
            "restartPostUri",
            "suspendPostUri",
            "resumePostUri",
        )
    }


def client_binding(origin: str, hub: str) -> str:
    base = origin.rstrip("/") + WEBHOOK_PATH
    suffix = query_suffix(hub)
    creation = f"{base}/orchestrators/{{functionName}}[/{{instanceId}}]"
    return json.dumps(
        {
            "taskHubName": hub,
            "creationUrls": {
                "createNewInstancePostUri": f"{creation}?{suffix}",
                "createAndWaitOnNewInstancePostUri": (
                    f"{creation}?timeout={{timeoutInSeconds}}&pollingInterval="
                    f"{{intervalInSeconds}}&{suffix}"
                ),
            },
            "managementUrls": management_links(origin, INSTANCE_PLACEHOLDER, hub),
            "baseUrl": base,
            "requiredQueryStringParameters": suffix,
            # The real host serves the SDK's calls on a separate local port; devhost serves them
            # on its one listener.
            "rpcBaseUrl": f"{base}/",
            "httpBaseUrl": base,
            "maxGrpcMessageSizeInBytes": 0,
            "grpcHttpClientTimeout": "00:01:40",
        }
    )
