"""The composition root: builds the ledger's adapters from settings, once, at the edge."""

from impact.ledger import Ledger
from impact.privacy import PersonalDataSealer, SqliteKeyVault
from impact.settings import Settings


def build_ledger(settings: Settings) -> Ledger:
    return Ledger(env=settings.event_store_env())


def build_sealer(settings: Settings) -> PersonalDataSealer:
    return PersonalDataSealer(SqliteKeyVault(settings.state_dir / "subject-keys.sqlite"))
