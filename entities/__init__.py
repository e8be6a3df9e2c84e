"""Durable entities: small pieces of state that several instances share, one operation at a time.

- ``images``: each batch's images in full (the batch and its replication watcher write it, the
  status endpoints read it), so that per-image detail never has to fit a 16 KB custom status;
- ``budget``: ARM's request budget (token buckets per subscription and kind of call) and the
  slots bounding concurrent version creations, shared by every migration of the app.
"""

from entities import budget, images

blueprints = [images.bp, budget.bp]
