"""The local broker's security material: a CA, the broker's certificate, the principals' passwords.

Made once, before the data directory is formatted, into the credentials folder
(``settings.kafka_credentials_dir``, ``<state>/kafka/security`` by default), owner-only::

    ca.pem            the CA's certificate: clients trust the broker through it (0644)
    ca-key.pem        the CA's private key (0600); signs nothing after the broker's certificate
    broker.pem        the broker's private key and certificate chain, PEM (0600)
    credentials.json  {"users": {principal: password}} (0600): the SCRAM logins, the
                      administrator's and the broker's own included

The CA and the certificate are for this machine only (127.0.0.1 and localhost); a
production cluster has its own.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from impact.kafka.access import BROKER_PRINCIPAL, principals
from impact.settings import CA_FILE, CREDENTIALS_FILE

BROKER_FILE = "broker.pem"
CA_KEY_FILE = "ca-key.pem"
VALID_DAYS = 3650


@dataclass(frozen=True)
class Material:
    """Paths of the security material and the passwords it holds."""

    folder: Path
    users: dict[str, str]

    @property
    def ca(self) -> Path:
        return self.folder / CA_FILE

    @property
    def broker_pem(self) -> Path:
        return self.folder / BROKER_FILE

    @property
    def broker_password(self) -> str:
        return self.users[BROKER_PRINCIPAL]


def load(folder: Path) -> Material | None:
    """The material in ``folder``, or None when it holds none."""
    path = folder / CREDENTIALS_FILE
    if not path.is_file():
        return None
    users = json.loads(path.read_text())["users"]
    return Material(folder, {str(k): str(v) for k, v in users.items()})


def ensure(folder: Path, host: str) -> Material:
    """Make what is missing: the CA and the broker's certificate, and a password for every
    principal (new principals get one; existing passwords are kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    if not (folder / CA_FILE).is_file() or not (folder / BROKER_FILE).is_file():
        _make_certificates(folder, host)
    existing = load(folder)
    users = dict(existing.users) if existing else {}
    for name in [BROKER_PRINCIPAL, *principals()]:
        users.setdefault(name, secrets.token_hex(24))
    if existing is None or users != existing.users:
        _write_private(folder / CREDENTIALS_FILE, json.dumps({"users": users}, indent=2) + "\n")
    return Material(folder, users)


def _write_private(path: Path, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def _make_certificates(folder: Path, host: str) -> None:
    now = datetime.datetime.now(datetime.UTC)
    until = now + datetime.timedelta(days=VALID_DAYS)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "impact local broker CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    broker_key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for address in {"127.0.0.1", host.strip("[]")}:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            names.append(x509.DNSName(address))
    broker_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "impact-broker")]))
        .issuer_name(ca_name)
        .public_key(broker_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    plain = serialization.NoEncryption()
    _write_private(folder / CA_KEY_FILE, ca_key.private_bytes(pem, pkcs8, plain))
    _write_private(
        folder / BROKER_FILE,
        broker_key.private_bytes(pem, pkcs8, plain)
        + broker_cert.public_bytes(pem)
        + ca_cert.public_bytes(pem),
    )
    ca_path = folder / CA_FILE
    ca_path.write_bytes(ca_cert.public_bytes(pem))
    os.chmod(ca_path, 0o644)
