"""Ed25519 signatures over checkpoints and archive anchors, separate from the chain's MAC key."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PUBLIC_KEY_FILE = "audit-signing-key.pub"


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint naming a public key: 16 hex digits of SHA-256 over its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def signed_bytes(domain: str, body: Mapping[str, Any]) -> bytes:
    """The exact bytes signed: a domain tag, then the body as sorted, compact JSON."""
    return (
        domain.encode() + b"\n" + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    )


@dataclass(frozen=True)
class Signer:
    """The private signing key (from the key material's 32-byte seed) and its public half."""

    private_key: Ed25519PrivateKey

    @classmethod
    def from_seed(cls, seed: bytes) -> Signer:
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, domain: str, body: Mapping[str, Any]) -> bytes:
        return self.private_key.sign(signed_bytes(domain, body))


class TrustedKeys:
    """The public keys a verifier accepts, by key id."""

    def __init__(self, keys: Iterable[Ed25519PublicKey] = ()) -> None:
        self._keys = {key_id(key): key for key in keys}

    def add(self, key: Ed25519PublicKey) -> None:
        self._keys[key_id(key)] = key

    def __contains__(self, kid: str) -> bool:
        return kid in self._keys

    def __bool__(self) -> bool:
        return bool(self._keys)

    def verify(self, kid: str, signature: bytes, domain: str, body: Mapping[str, Any]) -> bool:
        """Whether `signature` is a valid signature by the trusted key `kid` over the body."""
        key = self._keys.get(kid)
        if key is None:
            return False
        try:
            key.verify(signature, signed_bytes(domain, body))
        except InvalidSignature:
            return False
        return True


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo), readable by openssl and most tools."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """Read a PEM public key file written by `write_public_key` (or openssl)."""
    key = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


def b64(data: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    """Decode standard base64, refusing anything else."""
    return base64.b64decode(text, validate=True)
