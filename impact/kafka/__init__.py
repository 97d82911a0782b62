"""The Kafka adapter: the only place the ledger talks to kafka-python.

* ``clients``: a ``KafkaConnection`` → client configuration (``client_config``), the ledger's
  topics (``ledger_topics``, ``ensure_topics``, ``delete_topics``), producers
  (``producer``, ``transactional_producer``), ``kafka_errors`` (kafka-python's
  exceptions become ``LogError``) and ``keep_running`` (start work again after an
  outage).
* ``reader``: ``TopicReader``, one topic read with ``read_committed`` from positions the
  caller keeps with its data, with the one consumer loop (``TopicReader.run``); and
  ``read_topic_records`` for reading a topic to its end as it stood.
"""

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from impact.kafka.clients import (
    MAX_MESSAGE_BYTES,
    SUBMISSIONS_MAX_BYTES,
    TopicSettingsError,
    TopicSpec,
    admin_client,
    check_topic_settings,
    check_topics,
    client_config,
    close_producer,
    committed_consumer,
    delete_topics,
    end_transaction,
    ensure_topics,
    kafka_errors,
    keep_running,
    ledger_topics,
    producer,
    topic_drift,
    transactional_producer,
)
from impact.kafka.reader import Fetched, TopicReader, read_topic_records

__all__ = [
    "MAX_MESSAGE_BYTES",
    "SUBMISSIONS_MAX_BYTES",
    "ConsumerRecord",
    "Fetched",
    "TopicPartition",
    "TopicReader",
    "TopicSettingsError",
    "TopicSpec",
    "admin_client",
    "check_topic_settings",
    "check_topics",
    "client_config",
    "close_producer",
    "committed_consumer",
    "delete_topics",
    "end_transaction",
    "ensure_topics",
    "kafka_errors",
    "keep_running",
    "ledger_topics",
    "producer",
    "read_topic_records",
    "topic_drift",
    "transactional_producer",
]
