"""An agency holds its own key: it generates the pair on its machine, the secretariat registers
the public half it was sent, the agency signs and sends, and a revoked key signs no more."""

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.key_scan import agency_private_keys, private_keys_under
from tests.submissions import registration

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_an_agency_signs_with_a_key_only_it_holds_and_staff_register_and_revoke_its_public_half(
    run, impact_env, tmp_path
):
    state = Path(impact_env["IMPACT_STATE_DIR"])
    machine = tmp_path / "kamco-machine" / "keys"  # the agency's own computer
    run("init")

    made = run("keys", "generate", "--agency", "KAMCO", "--dir", str(machine)).stdout
    key_id = re.search(r"key id\s+([0-9a-f]{16})", made).group(1)
    fingerprint = re.search(r"fingerprint\s+(SHA256:\S+)", made).group(1)
    public = Path(re.search(r"public key\s+(\S+)", made).group(1))
    assert public.parent == machine and "no key is registered" in run("keys", "list").stdout

    inbox = tmp_path / "secretariat" / public.name  # only the public half travels
    inbox.parent.mkdir()
    shutil.copy(public, inbox)
    register = ("keys", "register", "--agency", "KAMCO", "--public-key", str(inbox))
    assert fingerprint in run(*register, "--valid-from", "2018-12-01").stdout
    assert "already registered" in run(*register).stdout

    first = tmp_path / "first.json"
    first.write_text(json.dumps(registration("KAMCO", "P-KAMCO-01")), encoding="utf-8")
    run("submit", str(first), "--agency", "KAMCO", "--dir", str(machine))
    assert "1 applied, 0 rejected" in run("ingest", "--until-idle").stdout

    run("keys", "revoke", "--agency", "KAMCO", "--key-id", key_id)
    listed = run("keys", "list", "--agency", "KAMCO").stdout
    assert key_id in listed and fingerprint in listed and "(revoked)" in listed
    second = tmp_path / "second.json"
    second.write_text(json.dumps(registration("KAMCO", "P-KAMCO-02")), encoding="utf-8")
    run("submit", str(second), "--agency", "KAMCO", "--dir", str(machine))
    assert "0 applied, 1 rejected (key_not_valid 1)" in run("ingest", "--until-idle").stdout

    keys = agency_private_keys(machine.parent)
    assert len(keys) == 1
    assert not private_keys_under([state], keys, allowed=[state / "platform-key.pem"])


def test_the_platforms_state_folder_is_no_place_for_an_agencys_key(run, impact_env):
    """Nor does `submit` look for one there: it says where the agency's key should be."""
    state = Path(impact_env["IMPACT_STATE_DIR"])
    refused = run("keys", "generate", "--agency", "KAMCO", "--dir", str(state / "keys"), ok=False)
    assert refused.returncode == 2
    assert "inside the platform's state folder" in refused.stderr
    missing = run("submit", "nothing.json", "--agency", "KIBO", ok=False)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    sent = state.parent / "sent.json"
    sent.write_text(json.dumps(registration("KIBO", "P-KIBO-01")), encoding="utf-8")
    keyless = run("submit", str(sent), "--agency", "KIBO", ok=False)
    assert keyless.returncode == 2
    assert "no key of KIBO" in keyless.stderr and "impact keys generate" in keyless.stderr
