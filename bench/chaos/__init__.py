"""``python -m bench.chaos --migrations N --seed S``: chaos rounds on the local stack, checked.

Rounds of several concurrent migrations each, through the app's HTTP API and its Event Grid
webhook, against the ARM emulator with random faults, on ``python -m devhost`` as a separate
process that is SIGKILLed and started again on its SQLite state at random moments. After every
round the invariants of :mod:`bench.chaos.checks` are checked from the emulator's own state
log and the API's answers. The parts:

- :mod:`bench.chaos.world`: the emulator here, devhost there, one scaled clock file;
- :mod:`bench.chaos.draws`: a round's images, requests, decisions, faults and kills, drawn;
- :mod:`bench.chaos.rounds`: playing a round;
- :mod:`bench.chaos.checks`: what must hold after it;
- :mod:`bench.chaos.report`: the figures, the table and the JSON line.

docs/chaos.md describes the design and the figures.
"""
