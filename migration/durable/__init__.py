"""Durable Functions plumbing shared by triggers, orchestrators and activities."""
