"""devhost: a local Durable Functions host that runs a v2 Python app with the real SDK.

It does what the Functions host and the Durable extension do for a ``function_app.py``: indexes
its functions through azure-functions, serves HTTP and Event Grid triggers, hands the durable client
binding to functions, answers the Durable HTTP API, and runs orchestrations by replaying history
through the SDK's own orchestrator handle, with state in SQLite and time from a ``simclock.Clock``.
"""

from devhost.host import DevHost
from devhost.instances import InstanceStats

__all__ = ["DevHost", "InstanceStats"]
