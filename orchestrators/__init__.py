"""Orchestrator functions: deterministic, no I/O, no clocks but the context's, no randomness."""

from orchestrators import batch, claims, migrate, notify, replication

blueprints = [migrate.bp, batch.bp, replication.bp, claims.bp, notify.bp]
