"""The durable client binding: the JSON the extension passes to ``durable_client_input`` params."""

from __future__ import annotations

import json
from urllib.parse import quote

from devhost.history import JsonDict

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
# The extension writes this placeholder into managementUrls; the SDK substitutes instance ids.
INSTANCE_PLACEHOLDER = "INSTANCEID"
CONNECTION_NAME = "Storage"


def query_suffix(hub: str, system_key: str | None = None) -> str:
    suffix = f"taskHub={quote(hub)}&connection={CONNECTION_NAME}"
    # With keys enforced the extension's webhook URL carries `code=<system key>`, and the
    # extension appends that query to every link (HttpApiHandler.GetClientResponseLinks).
    return f"{suffix}&code={system_key}" if system_key else suffix


def management_links(
    origin: str, instance_id: str, hub: str, system_key: str | None = None
) -> JsonDict:
    """The check-status payload (HttpManagementPayload) for ``instance_id``."""
    base = origin.rstrip("/") + WEBHOOK_PATH
    instance = f"{base}/instances/{quote(instance_id, safe='')}"
    suffix = query_suffix(hub, system_key)
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


def check_status_body(
    origin: str, instance_id: str, hub: str, system_key: str | None = None
) -> JsonDict:
    """What HttpApiHandler.CreateCheckStatusResponseMessage answers (no rewind link)."""
    links = management_links(origin, instance_id, hub, system_key)
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


def client_binding(
    origin: str, hub: str, *, system_key: str | None = None, rpc_base_url: str | None = None
) -> str:
    """The binding's JSON. ``system_key``: keys are enforced, and as in Azure the creation URLs
    and ``requiredQueryStringParameters`` carry ``code=<key>`` (the webhook URL's query,
    HttpApiHandler.GetUniversalQueryStrings), the management URLs taskHub, connection and code.
    ``rpc_base_url``: where the SDK's calls go (default: the public webhook)."""
    base = origin.rstrip("/") + WEBHOOK_PATH
    suffix = f"code={system_key}" if system_key else query_suffix(hub)
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
            "managementUrls": management_links(origin, INSTANCE_PLACEHOLDER, hub, system_key),
            "baseUrl": base,
            "requiredQueryStringParameters": suffix,
            # The real host serves the SDK's calls on a separate local port (LocalHttpListener,
            # http://127.0.0.1:17071/durabletask/), without keys.
            "rpcBaseUrl": rpc_base_url or f"{base}/",
            "httpBaseUrl": base,
            "maxGrpcMessageSizeInBytes": 0,
            "grpcHttpClientTimeout": "00:01:40",
        }
    )
