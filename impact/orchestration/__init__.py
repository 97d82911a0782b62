"""Dagster definitions: the relay, the load, projections and the quarterly review."""
