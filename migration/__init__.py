"""The migration domain: request models, naming and versioning rules, plans, policy and ARM calls.

Nothing here imports azure.functions; triggers, orchestrators and activities build on this package.
"""
