"""Fixtures shared by every test folder.

``broker`` is the project-local Kafka broker of ``Settings()`` (``127.0.0.1:9092`` from
``.state/kafka`` unless the environment says otherwise). ``make test`` starts it before
pytest; the fixture starts it itself when it is not running (``up()`` is idempotent) and
leaves it running afterwards (``make down`` stops it). Tests under tests/integration and
tests/e2e ask for it; unit tests never do.
"""

from collections.abc import Iterator

import pytest

from impact.broker import LocalBroker
from impact.settings import Settings


@pytest.fixture(scope="session")
def broker() -> Iterator[Settings]:
    """Settings whose Kafka bootstrap address answers."""
    settings = Settings()
    local = LocalBroker(settings)
    if local.is_local:
        local.up()
    elif not local.status().answering:
        pytest.fail(f"KAFKA_BOOTSTRAP_SERVERS={settings.kafka_bootstrap_servers} does not answer")
    yield settings
