"""``python -m demo``: the same as ``gallery-migrate local --demo`` (``make demo``).

The demo lives in the command line (``gallery_migrate_cli.local``): it seeds the local stack
with ``devstack.samples`` and drives it with the command line's own verbs on a virtual clock.
"""

from __future__ import annotations

import sys

from gallery_migrate_cli.app import main

if __name__ == "__main__":
    sys.exit(main(["local", "--demo", *sys.argv[1:]]))
