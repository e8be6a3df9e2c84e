"""Links back into the API, built from the URL the request came in on (no keys in them)."""

from __future__ import annotations

import azure.functions as func


def api_base(req: func.HttpRequest) -> str:
    """``https://host/api`` from this request's URL."""
    url = str(req.url)
    marker = url.find("/migrations")
    return url[:marker] if marker >= 0 else url.rstrip("/")


def migration_links(req: func.HttpRequest, migration_id: str) -> dict[str, str]:
    base = f"{api_base(req)}/migrations/{migration_id}"
    return {
        "statusUri": base,
        "imagesUri": f"{base}/images",
        "approveUri": f"{base}/approve",
        "rejectUri": f"{base}/reject",
    }
