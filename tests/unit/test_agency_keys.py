"""Agencies hold their own keys: an agency generates its pair in its own folder, never in the
platform's state; staff register, revoke and list only public halves; a key file is read as
anything anyone could send."""

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key

from impact.agency_keys import AgencyFolder, played_agencies
from impact.cli.app import app
from impact.cli.run import USER_ERROR, exit_status
from impact.domain.consortium import AgencyKey
from impact.errors import AlreadyExistsError, ConfigurationError, SigningError
from impact.settings import Settings
from impact.signing import (
    MAX_KEY_FILE_BYTES,
    fingerprint,
    key_id_of,
    load_public_key,
    public_key_pem,
    public_key_text,
)
from tests import commands as cmd
from tests.key_scan import agency_private_keys, private_keys_under

AT = datetime(2018, 12, 1, tzinfo=UTC)


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(the platform's state folder, the agencies' folders), both of this test."""
    state, agencies = tmp_path / "state", tmp_path / "agencies"
    monkeypatch.setenv("IMPACT_STATE_DIR", str(state))
    monkeypatch.setenv("IMPACT_AGENCIES_DIR", str(agencies))
    monkeypatch.delenv("EVENT_STORE_DSN", raising=False)
    return state, agencies


def impact(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = exit_status(app, list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the agency's side ------------------------------------------------------------------


def test_an_agency_generates_its_pair_in_its_own_folder_and_nothing_is_registered(capsys, places):
    state, agencies = places
    assert impact(capsys, "init")[0] == 0
    status, out, _ = impact(capsys, "keys", "generate", "--agency", "KAMCO")
    assert status == 0
    folder = agencies / "KAMCO"
    private, public = sorted(folder.glob("*.pem")), sorted(folder.glob("*.pub"))
    assert len(private) == len(public) == 1 and mode(folder) == 0o700
    assert mode(private[0]) == mode(public[0]) == 0o600
    key = load_public_key(public[0])
    assert f"key id       {key_id_of(key)}" in out
    assert f"fingerprint  {fingerprint(key)}" in out and str(public[0]) in out
    assert impact(capsys, "keys", "list")[1].strip() == "no key is registered"
    assert agency_private_keys(agencies) and not private_keys_under(
        [state], agency_private_keys(agencies), allowed=[state / "platform-key.pem"]
    )


@pytest.mark.parametrize("inside", ["", "keys", "keys/KAMCO"])
def test_generate_refuses_a_folder_inside_the_platforms_state(capsys, places, inside):
    state, _ = places
    status, out, err = impact(
        capsys, "keys", "generate", "--agency", "KAMCO", "--dir", str(state / inside)
    )
    assert status == USER_ERROR and out == ""
    assert "inside the platform's state folder" in err
    assert not (state / "keys").exists()


def test_the_agencies_folder_itself_may_not_be_inside_the_state(capsys, places, monkeypatch):
    state, _ = places
    monkeypatch.setenv("IMPACT_AGENCIES_DIR", str(state / "agencies"))
    status, _, err = impact(capsys, "keys", "generate", "--agency", "KAMCO")
    assert status == USER_ERROR and "inside the platform's state folder" in err
    with pytest.raises(ConfigurationError):
        played_agencies(Settings(), ["KAMCO"])


@pytest.mark.parametrize("code", ["../KAMCO", "kamco", "K", "KAMCO/x", ""])
def test_an_agency_code_that_could_name_another_folder_is_refused(capsys, places, code):
    status, _, err = impact(capsys, "keys", "generate", "--agency", code)
    assert status == USER_ERROR and "is not an agency code" in err


def test_submit_finds_the_newest_key_in_the_agencys_folder_or_says_how_to_make_one(places):
    from impact.agency_keys import find_key

    with pytest.raises(SigningError, match="run `impact keys generate --agency KIBO`"):
        find_key(Settings(), "KIBO")
    folder = AgencyFolder.of(Settings(), "KIBO")
    first = folder.generate().pair
    os.utime(folder.path / f"KIBO-{first.key_id}.pem", (1, 1))
    second = folder.generate().pair
    assert find_key(Settings(), "KIBO").key_id == second.key_id


# -- a key file is hostile --------------------------------------------------------------


def _pem_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"x" * (MAX_KEY_FILE_BYTES + 1), "larger than 16384 bytes"),
        (b"", "neither a PEM public key nor the base64"),
        (b"\xff\xfe\x00garbage", "neither PEM nor base64 text"),
        (b"-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n", "not a PEM"),
        (b"QUJD\n", "neither a PEM public key nor the base64"),
        ("rsa", "not an Ed25519 public key"),
        ("private", "holds a private key; send only the public key"),
    ],
)
def test_a_bad_public_key_file_is_a_clear_error(tmp_path, content, says):
    path = tmp_path / "sent.pub"
    if content == "rsa":
        rsa = generate_private_key(public_exponent=65537, key_size=1024).public_key()
        content = rsa.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    elif content == "private":
        content = _pem_private(Ed25519PrivateKey.generate())
    path.write_bytes(content)
    with pytest.raises(SigningError, match=says):
        load_public_key(path)


def test_a_folder_or_a_missing_file_is_not_a_key(tmp_path):
    with pytest.raises(SigningError, match="Is a directory"):
        load_public_key(tmp_path)
    with pytest.raises(SigningError, match="No such file"):
        load_public_key(tmp_path / "none.pub")


def test_a_public_key_is_read_as_pem_or_as_one_line_of_base64(tmp_path):
    public = Ed25519PrivateKey.generate().public_key()
    (tmp_path / "a.pub").write_bytes(public_key_pem(public))
    (tmp_path / "b.pub").write_text(public_key_text(public) + "\n")
    assert key_id_of(load_public_key(tmp_path / "a.pub")) == key_id_of(public)
    assert key_id_of(load_public_key(tmp_path / "b.pub")) == key_id_of(public)


# -- the staff's side -------------------------------------------------------------------


def test_staff_register_list_and_revoke_only_public_halves(capsys, places, tmp_path):
    assert impact(capsys, "init")[0] == 0
    made = AgencyFolder.of(Settings(), "KAMCO").generate()
    sent = tmp_path / "sent.pub"
    sent.write_bytes(made.public_path.read_bytes())  # what reached the secretariat
    kid, print_ = made.pair.key_id, fingerprint(made.pair.public)

    register = ("keys", "register", "--agency", "KAMCO", "--public-key", str(sent))
    status, out, _ = impact(capsys, *register, "--valid-from", "2018-12-01")
    assert status == 0 and f"registered key {kid} of KAMCO ({print_})" in out
    status, out, _ = impact(capsys, *register)
    assert status == 0 and "already registered" in out and "2018-12-01T00:00:00+00:00" in out
    status, _, err = impact(
        capsys, "keys", "register", "--agency", "KIBO", "--public-key", str(sent)
    )
    assert status == USER_ERROR and f"key {kid} is registered to KAMCO" in err
    status, _, err = impact(
        capsys, "keys", "register", "--agency", "NOPE", "--public-key", str(sent)
    )
    assert status == USER_ERROR and "NOPE is not a member" in err

    status, out, _ = impact(capsys, "keys", "list", "--agency", "KAMCO")
    assert status == 0
    row = next(line for line in out.splitlines() if kid in line)
    assert print_ in row and "2018-12-01T00:00:00+00:00" in row and "valid" in row

    revoke = ("keys", "revoke", "--agency", "KAMCO", "--key-id", kid)
    status, out, _ = impact(capsys, *revoke, "--revoked-at", "2020-01-01")
    assert status == 0 and f"revoked key {kid} of KAMCO at 2020-01-01T00:00:00+00:00" in out
    row = next(line for line in impact(capsys, "keys", "list")[1].splitlines() if kid in line)
    assert "2020-01-01T00:00:00+00:00 (revoked)" in row
    status, _, err = impact(capsys, *revoke)
    assert status == USER_ERROR and "already revoked at 2020-01-01" in err
    status, _, err = impact(capsys, "keys", "revoke", "--agency", "KAMCO", "--key-id", "nope")
    assert status == USER_ERROR and "KAMCO has no key nope" in err


def test_a_key_id_registered_to_one_agency_is_refused_for_another(ledger):
    key = AgencyKey(agency="KAMCO", key_id="k1", public_key="AAAA", valid_from=AT)
    ledger.handle(cmd.register_key(key, actor="s"))
    with pytest.raises(AlreadyExistsError, match="k1 is registered to KAMCO"):
        ledger.handle(cmd.register_key(key.model_copy(update={"agency": "KIBO"}), actor="s"))


# -- the scenario's agencies ------------------------------------------------------------


def test_the_scenarios_agencies_each_get_a_folder_and_keep_their_keys(places):
    state, agencies = places
    first = played_agencies(Settings(), ["KAMCO", "KIBO"])
    assert sorted(p.name for p in agencies.iterdir()) == ["KAMCO", "KIBO"]
    again = played_agencies(Settings(), ["KAMCO", "KIBO"])
    assert {a: k.key_id for a, (k, _) in again.items()} == {
        a: k.key_id for a, (k, _) in first.items()
    }
    # a newer key appears in KAMCO's folder; the one registered goes on signing
    registered = first["KAMCO"][0].key_id
    os.utime(agencies / "KAMCO" / f"KAMCO-{registered}.pem", (1, 1))
    AgencyFolder.of(Settings(), "KAMCO").generate()
    resumed = played_agencies(Settings(), ["KAMCO"], registered={("KAMCO", registered)})
    assert resumed["KAMCO"][0].key_id == registered
    assert not state.exists()


def test_the_scan_finds_a_private_key_in_any_form(tmp_path):
    agencies = tmp_path / "agencies"
    pair = AgencyFolder(agency="KAMCO", path=agencies / "KAMCO").generate().pair
    raw = pair.private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    state = tmp_path / "state"
    (state / "deep").mkdir(parents=True)
    keys = agency_private_keys(agencies)
    assert private_keys_under([state], keys) == []
    (state / "deep" / "blob.sqlite").write_bytes(b"\x00row" + raw + b"\x00")
    (state / "copy.txt").write_text(raw.hex())
    (state / "other.pem").write_bytes(_pem_private(Ed25519PrivateKey.generate()))
    found = private_keys_under([state], keys)
    assert len(found) == 3 and "a PEM PRIVATE KEY" in " ".join(found)


def test_keys_left_in_the_state_by_an_earlier_version_are_pointed_out(capsys, places):
    state, _ = places
    AgencyFolder(agency="KAMCO", path=state / "keys").generate()
    status, _, err = impact(capsys, "keys", "list")
    assert status == 0 and f"1 agency private key(s) in {state / 'keys'}" in err
