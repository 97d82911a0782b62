"""Subject keys: sealed data opens while the key exists, reads as erased after, and the destroyed
key leaves no copy in the vault's file."""

import pytest

from impact.errors import PrivacyError
from impact.privacy import PersonalData, PersonalDataSealer, SqliteKeyVault


@pytest.fixture
def vault(tmp_path):
    return SqliteKeyVault(tmp_path / "subject-keys.sqlite")


def test_sealed_data_opens_until_the_key_is_destroyed_then_reads_as_erased(vault):
    sealer = PersonalDataSealer(vault)
    sealed = sealer.seal("citizen-1", PersonalData(name="김부산", contact="busan@example.org"))
    assert "김부산" not in sealed.model_dump_json()
    assert sealer.reveal(sealed) == (
        "open",
        PersonalData(name="김부산", contact="busan@example.org"),
    )
    assert vault.erase("citizen-1") is True
    assert sealer.reveal(sealed) == ("erased", None)
    assert vault.state("citizen-1") == "erased" and vault.erased_at("citizen-1")


def test_data_sealed_by_another_vault_reads_as_sealed_not_erased(tmp_path, vault):
    elsewhere = PersonalDataSealer(SqliteKeyVault(tmp_path / "other.sqlite"))
    sealed = elsewhere.seal("citizen-2", PersonalData(name="이산들"))
    assert PersonalDataSealer(vault).reveal(sealed) == ("sealed", None)


def test_the_destroyed_key_leaves_no_copy_in_the_vault_file_and_others_stay(tmp_path, vault):
    keys = {f"citizen-{i}": vault.key_for(f"citizen-{i}")[1] for i in range(20)}
    vault.erase("citizen-7")
    raw = (tmp_path / "subject-keys.sqlite").read_bytes()
    assert keys["citizen-7"] not in raw
    assert all(key in raw for subject, key in keys.items() if subject != "citizen-7")


def test_an_erased_subject_is_never_given_a_new_key_and_erasing_twice_does_nothing(vault):
    vault.key_for("citizen-3")
    assert vault.erase("citizen-3") is True
    assert vault.erase("citizen-3") is False
    assert vault.erase("nobody") is False
    with pytest.raises(PrivacyError, match="was erased"):
        vault.key_for("citizen-3")


def test_sealed_data_altered_in_the_log_is_refused_not_misread(vault):
    sealer = PersonalDataSealer(vault)
    sealed = sealer.seal("citizen-4", PersonalData(name="박해운"))
    text = sealed.ciphertext
    altered = sealed.model_copy(
        update={"ciphertext": ("B" if text[20] != "B" else "C").join((text[:20], text[21:]))}
    )
    with pytest.raises(PrivacyError, match="tampered"):
        sealer.open(altered)
