"""Key escrow: the key document (and the backup key) sealed to a passphrase or to n-of-m shares.

The bundle {key document, backup key} is sealed with AES-256-GCM under a 32-byte escrow key.
That key is either derived from a passphrase with scrypt, or random and split into SLIP-39
mnemonic shares (shamir-mnemonic, by Trezor) of which any `threshold` restore it. The escrow
file's fields other than the ciphertext are its associated data: changing any fails to open.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

import shamir_mnemonic
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from casemgr import clock
from casemgr.crypto.keyfile import KeyFileError, parse_key_document
from casemgr.operations.backup import BackupError, BackupKey, parse_backup_key

ESCROW_FORMAT = 1
KIND = "casemgr-key-escrow"
# scrypt cost: 2^17 x 8 x 128 bytes = 128 MiB and about half a second, per OWASP's minimum.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSPHRASE = 16
MAX_SHARES = 16


class EscrowError(RuntimeError):
    """The escrow cannot be written or opened; the message says why (never a secret)."""


@dataclass(frozen=True)
class EscrowBundle:
    """What an escrow restores: the key document and, when there is one, the backup key."""

    key_document: dict[str, Any]
    backup_key: BackupKey | None


@dataclass(frozen=True)
class SharedEscrow:
    """An escrow file split to shares: the file, and one mnemonic per share holder."""

    document: dict[str, Any]
    shares: list[str]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _aad(document: dict[str, Any]) -> bytes:
    fields = {k: v for k, v in document.items() if k != "ciphertext"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _plaintext(bundle: EscrowBundle) -> bytes:
    try:
        parse_key_document(bundle.key_document, "the key document")
    except KeyFileError as exc:
        raise EscrowError(str(exc)) from None
    body = {
        "key_document": bundle.key_document,
        "backup_key": bundle.backup_key.document() if bundle.backup_key else None,
    }
    return json.dumps(body, sort_keys=True).encode("utf-8")


def _base(bundle: EscrowBundle, method: str) -> dict[str, Any]:
    doc = bundle.key_document
    return {
        "format": ESCROW_FORMAT,
        "kind": KIND,
        "method": method,
        "created_at": clock.utcnow().astimezone(dt.UTC).isoformat(timespec="seconds"),
        # Key ids (not keys) let an operator tell which escrow matches which database.
        "key_ids": [e["id"] for e in doc.get("master_keys", []) + doc.get("index_keys", [])],
        "backup_key_id": bundle.backup_key.id if bundle.backup_key else None,
        "nonce": _b64(secrets.token_bytes(12)),
    }


def _seal(document: dict[str, Any], key: bytes, plaintext: bytes) -> dict[str, Any]:
    nonce = base64.b64decode(document["nonce"])
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(document))
    return {**document, "ciphertext": _b64(ciphertext)}


def _scrypt(passphrase: str, kdf: dict[str, Any]) -> bytes:
    return Scrypt(
        salt=base64.b64decode(kdf["salt"]), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]
    ).derive(passphrase.encode("utf-8"))


def check_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to stand against an offline guess."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise EscrowError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")


def seal_to_passphrase(bundle: EscrowBundle, passphrase: str) -> dict[str, Any]:
    """The escrow document sealed under scrypt(passphrase) with AES-256-GCM."""
    check_passphrase(passphrase)
    document = _base(bundle, "passphrase")
    kdf = {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P}
    document["kdf"] = {**kdf, "salt": _b64(secrets.token_bytes(16))}
    return _seal(document, _scrypt(passphrase, document["kdf"]), _plaintext(bundle))


def seal_to_shares(bundle: EscrowBundle, threshold: int, count: int) -> SharedEscrow:
    """The escrow document sealed under a random key split into `count` SLIP-39 shares."""
    if not 2 <= threshold <= count <= MAX_SHARES:
        raise EscrowError(f"shares: need 2 <= threshold <= count <= {MAX_SHARES}")
    key = secrets.token_bytes(32)
    document = _base(bundle, "shamir-slip39")
    document.update({"threshold": threshold, "shares": count})
    groups = shamir_mnemonic.generate_mnemonics(1, [(threshold, count)], key)
    return SharedEscrow(_seal(document, key, _plaintext(bundle)), list(groups[0]))


def read_escrow(data: str) -> dict[str, Any]:
    """Parse an escrow file; raise EscrowError if it is not one."""
    try:
        document = json.loads(data)
        ok = document.get("format") == ESCROW_FORMAT and document.get("kind") == KIND
    except (ValueError, AttributeError):
        ok = False
    if not ok:
        raise EscrowError("not a casemgr key escrow file")
    return document


def _open(document: dict[str, Any], key: bytes) -> EscrowBundle:
    try:
        plaintext = AESGCM(key).decrypt(
            base64.b64decode(document["nonce"]),
            base64.b64decode(document["ciphertext"]),
            _aad(document),
        )
    except (InvalidTag, KeyError, ValueError):
        raise EscrowError(
            "the escrow does not open: wrong passphrase or shares, or the file was altered"
        ) from None
    body = json.loads(plaintext)
    try:
        parse_key_document(body["key_document"], "the escrowed key document")
        backup = body.get("backup_key")
        backup_key = parse_backup_key(backup, "the escrowed backup key") if backup else None
    except (KeyFileError, BackupError) as exc:
        raise EscrowError(str(exc)) from None
    return EscrowBundle(body["key_document"], backup_key)


def open_with_passphrase(document: dict[str, Any], passphrase: str) -> EscrowBundle:
    """Open a passphrase escrow."""
    if document.get("method") != "passphrase":
        raise EscrowError("this escrow is split into shares: give the shares, not a passphrase")
    return _open(document, _scrypt(passphrase, document["kdf"]))


def open_with_shares(document: dict[str, Any], shares: list[str]) -> EscrowBundle:
    """Open a shared escrow with at least `threshold` of its mnemonic shares."""
    if document.get("method") != "shamir-slip39":
        raise EscrowError("this escrow is sealed to a passphrase, not to shares")
    try:
        key = shamir_mnemonic.combine_mnemonics([" ".join(s.split()) for s in shares])
    except shamir_mnemonic.MnemonicError as exc:
        raise EscrowError(f"the shares do not combine: {exc}") from None
    return _open(document, key)
