"""Benchmarks: whole migrations on the local stack, measured (``python -m bench``)."""
