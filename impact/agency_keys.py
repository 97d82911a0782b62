"""An agency's own folder of signing keys, on the agency's own machine.

The private key never leaves it: ``impact keys generate`` writes the pair there (the private
key ``<AGENCY>-<key id>.pem`` and its public half ``<AGENCY>-<key id>.pub``, files 0600 in a
folder 0700) and ``impact submit`` signs with it. Staff receive only the ``.pub`` file and
register it (``impact keys register``). The platform's state folder never holds an agency's
private key: a folder inside it is refused.

The demo plays every agency the same way, each with a folder of its own under
``settings.agencies_dir`` (``.agencies/<AGENCY>`` in the checkout by default).
"""

import os
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from impact.errors import ConfigurationError, SigningError
from impact.settings import Settings
from impact.signing import AgencyKeyPair, key_id_of, load_public_key, public_key_pem

AGENCY_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,15}$")
"""What a member's code may be (``Member.code``); it names the agency's folder and files."""
PRIVATE_SUFFIX, PUBLIC_SUFFIX = ".pem", ".pub"


def check_agency_code(agency: str) -> str:
    if not AGENCY_CODE.fullmatch(agency):
        raise ConfigurationError(
            f"{agency!r} is not an agency code; write it like KAMCO (capitals and digits)"
        )
    return agency


def check_outside_state(folder: Path, settings: Settings) -> Path:
    """``folder``, made absolute, unless it is the platform's state folder or inside it."""
    where = folder.expanduser().resolve()
    state = settings.state_dir.expanduser().resolve()
    if where == state or state in where.parents:
        raise ConfigurationError(
            f"{folder} is inside the platform's state folder {state}; an agency's keys are its "
            "own: keep them in a folder of the agency (--dir, or IMPACT_AGENCIES_DIR)"
        )
    return where


@dataclass(frozen=True)
class GeneratedKey:
    pair: AgencyKeyPair
    private_path: Path
    public_path: Path


@dataclass(frozen=True)
class AgencyFolder:
    """The folder of one agency's keys."""

    agency: str
    path: Path

    @classmethod
    def of(cls, settings: Settings, agency: str, directory: Path | None = None) -> "AgencyFolder":
        """The agency's folder: ``directory``, or ``<agencies_dir>/<AGENCY>``; never inside
        the platform's state folder."""
        check_agency_code(agency)
        return cls(
            agency, check_outside_state(directory or settings.agencies_dir / agency, settings)
        )

    def private_keys(self) -> list[Path]:
        """The agency's private key files, oldest first."""
        if not self.path.is_dir():
            return []
        files = [
            p
            for p in self.path.glob(f"{self.agency}-*{PRIVATE_SUFFIX}")
            if p.is_file() and not p.name.startswith(".")
        ]
        return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))

    def load(self, path: Path) -> AgencyKeyPair:
        return AgencyKeyPair.load(path, agency=self.agency)

    def newest(self) -> AgencyKeyPair | None:
        files = self.private_keys()
        return self.load(files[-1]) if files else None

    def public_path(self, key_id: str) -> Path:
        return self.path / f"{self.agency}-{key_id}{PUBLIC_SUFFIX}"

    def public_key(self, key_id: str) -> Ed25519PublicKey:
        """The public half as the agency hands it over: read from its ``.pub`` file."""
        return load_public_key(self.public_path(key_id), f"the public key of {self.agency}")

    def generate(self) -> GeneratedKey:
        """A new key pair, written here: the private key and its public half, both 0600."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.path.stat().st_uid == os.getuid():
            self.path.chmod(0o700)
        pair = AgencyKeyPair.generate(self.agency)
        private_path = pair.save(self.path)
        public_path = self.public_path(pair.key_id)
        _write_new(public_path, public_key_pem(pair.public))
        return GeneratedKey(pair, private_path, public_path)


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def find_key(
    settings: Settings, agency: str, key_file: Path | None = None, directory: Path | None = None
) -> AgencyKeyPair:
    """The key ``impact submit`` signs with: ``key_file``, or the newest in the agency's folder."""
    check_agency_code(agency)
    if key_file is not None:
        return AgencyKeyPair.load(key_file, agency=agency)
    folder = AgencyFolder.of(settings, agency, directory)
    newest = folder.newest()
    if newest is None:
        raise SigningError(
            f"no key of {agency} in {folder.path}; run `impact keys generate --agency {agency}` "
            "there (and have the secretariat register its .pub file), or give --key FILE"
        )
    return newest


def left_in_state(settings: Settings) -> list[Path]:
    """Agencies' private keys that earlier versions wrote into ``<state>/keys``: each belongs
    in its agency's folder, and nowhere under the platform's state."""
    folder = settings.state_dir / "keys"
    return sorted(folder.glob(f"*{PRIVATE_SUFFIX}")) if folder.is_dir() else []


def played_agencies(
    settings: Settings, agencies: Iterable[str], registered: Collection[tuple[str, str]] = ()
) -> dict[str, tuple[AgencyKeyPair, Ed25519PublicKey]]:
    """The key each agency of the scenario signs with, and its public half as handed over.

    Each agency has its folder under ``settings.agencies_dir``: its key registered already
    (a resumed run) when the folder holds it, else its newest key, else a new one generated
    there, as the agency would with ``impact keys generate``."""
    played = {}
    for agency in agencies:
        folder = AgencyFolder.of(settings, agency)
        files = folder.private_keys()
        chosen = next(
            (p for p in reversed(files) if (agency, _key_id_of_name(agency, p)) in registered),
            files[-1] if files else None,
        )
        if chosen is None:
            pair = folder.generate().pair
        else:
            pair = folder.load(chosen)
            if not folder.public_path(pair.key_id).exists():
                _write_new(folder.public_path(pair.key_id), public_key_pem(pair.public))
        public = folder.public_key(pair.key_id)
        if key_id_of(public) != pair.key_id:
            raise SigningError(
                f"{folder.public_path(pair.key_id)} is not the public half of {agency}'s key "
                f"{pair.key_id}; remove it and it is written again"
            )
        played[agency] = (pair, public)
    return played


def _key_id_of_name(agency: str, path: Path) -> str:
    return path.name[len(agency) + 1 : -len(PRIVATE_SUFFIX)]
