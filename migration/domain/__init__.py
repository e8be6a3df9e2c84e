"""Pure rules and planning: no I/O, no clocks, no randomness, so orchestrations may call it."""
