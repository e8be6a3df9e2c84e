"""The README's first command: the demo migration, ``gallery-migrate local --demo``."""
