"""Kafka producers and consumers: the relay to ``impact.events``, ingest, the agency client."""
