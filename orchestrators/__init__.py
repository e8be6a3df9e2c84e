"""Orchestrator functions: deterministic, no I/O, no clocks but the context's, no randomness."""

from orchestrators import claims, migrate, replication

blueprints = [migrate.bp, replication.bp, claims.bp]
