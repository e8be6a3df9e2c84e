"""Durable entities: small pieces of state that several instances share, one operation at a time.

- ``images``: each batch's images in full (the batch and its replication watcher write it, the
  status endpoints read it), so that per-image detail never has to fit a 16 KB custom status;
- ``budget``: ARM's request budget (token buckets per subscription and kind of call) and the
  slots bounding concurrent version creations, shared by every migration of the app;
- ``hints``: who watches each version (so that an Event Grid event for a version write reaches
  its watcher) and what hints have shown of the event pipeline.
"""

from entities import budget, hints, images

blueprints = [images.bp, budget.bp, hints.bp]
