"""Busan social-value impact ledger."""

__version__ = "0.1.0"
