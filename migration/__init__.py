"""The migration itself, with no azure.functions imports, grouped by role.

- ``migration.domain``: pure rules and planning (ids, names, versions, the request, facts, plans,
  the data-safety rule, the migration's state). No I/O, no clocks: orchestrations call it freely.
- ``migration.arm``: Azure Resource Manager access (the one client factory, the calls, their JSON,
  their errors, the retry policy, inspection).
- ``migration.durable``: Durable Functions plumbing shared by triggers, orchestrators and activities
  (orchestration inputs and instance ids, the per-source claims, activity outcomes, the status read
  model).
- ``migration.config``: app settings and the Event Grid policy, each default stated once.
"""
