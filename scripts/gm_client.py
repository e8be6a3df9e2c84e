#!/usr/bin/env python3
"""Drive Gallery Migrator through its HTTP API alone: start, watch, approve, see the result.

Uses only the standard library and imports nothing from the project, so it doubles as an example
for automation that runs elsewhere. Against Azure, pass the function key with --key (or set
GM_FUNCTION_KEY); against devhost no key is needed.

    python scripts/gm_client.py --api http://127.0.0.1:7071/api start request.json --approve-as me
    python scripts/gm_client.py --api ... status <migration id>
    python scripts/gm_client.py --api ... approve <migration id> --by me --reason "tested"
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any

TERMINAL = {"Completed", "Failed", "Terminated"}


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.body = body


class Client:
    def __init__(self, api: str, key: str | None = None, timeout: float = 60) -> None:
        self.api = api.rstrip("/")
        self.key = key
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None) -> Any:
        url = f"{self.api}/{path.lstrip('/')}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.key:
            request.add_header("x-functions-key", self.key)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = raw.decode(errors="replace")
            raise ApiError(error.code, payload) from None

    def start(self, request: dict[str, Any]) -> dict[str, Any]:
        return dict(self.call("POST", "migrations", request))

    def plan(self, request: dict[str, Any]) -> dict[str, Any]:
        return dict(self.call("POST", "migrations/plan", request))

    def status(self, migration_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"migrations/{migration_id}"))

    def decide(self, migration_id: str, approve: bool, by: str, reason: str | None) -> Any:
        verb = "approve" if approve else "reject"
        return self.call("POST", f"migrations/{migration_id}/{verb}", {"by": by, "reason": reason})

    def watch(
        self,
        migration_id: str,
        *,
        approve_as: str | None = None,
        interval: float = 5.0,
        deadline: float | None = None,
        show: Any = None,
    ) -> dict[str, Any]:
        """Poll until the migration ends, approving it once it waits (when ``approve_as``)."""
        approved = False
        while True:
            status = self.status(migration_id)
            if show is not None:
                show(status)
            if status["runtimeStatus"] in TERMINAL:
                return status
            if status.get("awaitingApproval") and approve_as and not approved:
                self.decide(migration_id, True, approve_as, "approved by gm_client")
                approved = True
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"migration {migration_id} did not finish in time")
            time.sleep(interval)


def print_status(status: dict[str, Any]) -> None:
    images = ", ".join(
        f"{image['source'].rsplit('/', 1)[-1]}={image.get('phase')}"
        + "".join(f" {r['name']}:{r.get('progress', 0)}%" for r in image.get("regions") or [])
        for image in status.get("images") or []
    )
    print(f"{status['runtimeStatus']:<10} {status.get('phase') or '-':<20} {images}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--api", required=True, help="base URL of the API, e.g. http://127.0.0.1:7071/api"
    )
    parser.add_argument("--key", default=os.environ.get("GM_FUNCTION_KEY"), help="function key")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start a migration from a request file")
    start.add_argument("request", help="JSON file with the request body ('-' for stdin)")
    start.add_argument("--approve-as", help="approve when asked, as this person")
    start.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
    start.add_argument("--timeout", type=float, default=None, help="give up after these seconds")
    plan = commands.add_parser("plan", help="dry run: what a request would create")
    plan.add_argument("request")
    status = commands.add_parser("status", help="show a migration")
    status.add_argument("id")
    for verb in ("approve", "reject"):
        decide = commands.add_parser(verb, help=f"{verb} a migration's deletes")
        decide.add_argument("id")
        decide.add_argument("--by", required=True)
        decide.add_argument("--reason")
    args = parser.parse_args(argv)
    client = Client(args.api, args.key)
    try:
        if args.command in ("start", "plan"):
            with sys.stdin if args.request == "-" else open(args.request) as handle:
                body = json.load(handle)
            if args.command == "plan":
                print(json.dumps(client.plan(body), indent=2))
                return 0
            started = client.start(body)
            print(f"started {started['migrationId']}", flush=True)
            deadline = time.monotonic() + args.timeout if args.timeout else None
            final = client.watch(
                started["migrationId"],
                approve_as=args.approve_as,
                interval=args.interval,
                deadline=deadline,
                show=print_status,
            )
            print(json.dumps(final, indent=2))
            return 0 if final["runtimeStatus"] == "Completed" else 1
        if args.command == "status":
            print(json.dumps(client.status(args.id), indent=2))
            return 0
        print(
            json.dumps(
                client.decide(args.id, args.command == "approve", args.by, args.reason), indent=2
            )
        )
        return 0
    except ApiError as error:
        print(f"error: {error}", file=sys.stderr)
        if isinstance(error.body, dict):
            for item in error.body.get("errors") or []:
                print(f"  {item.get('field') or '(body)'}: {item.get('message')}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
