"""Azure's rules for the resources the emulator serves, with its codes and texts.

Validation only: each module reads a request's body into a typed spec or refuses it with the
answer Azure gives; ``emulator/service/`` applies the specs to the stored resources.

- ``names``: gallery, definition, version and image names; a definition's identifier parts.
- ``common``: enums read case-insensitively, locations, end-of-life dates, moves between regions,
  OS type and state, and a PUT of a resource that is being deleted.
- ``galleries``, ``definitions``, ``versions``, ``images``: what each kind's PUT may say, and
  (definitions, versions) what a re-PUT may change.
- ``sources``: which managed image may feed a version, refused at once or failed later.

Generic ARM answers (not found, parent not found, property change not allowed...) are in
``emulator/errors.py``. A new resource kind's rules go in a module of their own here.
"""
