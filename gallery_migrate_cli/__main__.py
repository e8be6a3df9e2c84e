"""``python -m gallery_migrate_cli``: the same as the ``gallery-migrate`` command."""

import sys

from gallery_migrate_cli.app import main

sys.exit(main())
