"""The README's first command: a whole migration on the embedded emulator, end to end."""
