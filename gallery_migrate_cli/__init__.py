"""``gallery-migrate``: the operator's command line for Gallery Migrator.

A client of the app's HTTP API and nothing else (it imports none of the app's code): it starts,
plans, watches, decides, lists and cancels migrations on a deployed app or on the local stack,
which ``gallery-migrate local`` runs in-process (``devstack``). Installed with the ``cli``
extra (``pip install '.[cli]'``), never deployed.
"""
