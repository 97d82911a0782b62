from collections.abc import Iterator

import pytest

from impact.ledger import Ledger
from tests import commands as cmd

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    app = Ledger(env=IN_MEMORY)
    app.handle(cmd.found())
    yield app
    app.close()
