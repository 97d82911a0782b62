"""The public contract: what agencies send and what ``impact.events`` carries.

Both are pydantic models, exported as JSON Schema files (``impact schema export``)
that agencies and downstream readers can validate against.
"""

from impact.contract.events import EventEnvelope, envelope_for

__all__ = ["EventEnvelope", "envelope_for"]
