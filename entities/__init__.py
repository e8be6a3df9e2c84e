"""Durable entities: small pieces of state that several instances share, one operation at a time.

- ``images``: each batch's images in full (the batch and its replication watcher write it, the
  status endpoints read it), so that per-image detail never has to fit a 16 KB custom status.
"""

from entities import images

blueprints = [images.bp]
