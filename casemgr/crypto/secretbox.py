"""Application secrets sealed under a key derived from the app secret (e.g. users' TOTP seeds)."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x01"
NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value failed to authenticate (wrong key, wrong row, or tampered)."""


def derive_key(secret: bytes, purpose: str) -> bytes:
    """Derive a 256-bit key for one purpose from the app secret (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
        secret
    )


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt with AES-256-GCM, binding the ciphertext to `aad`."""
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, VERSION + aad)


def unseal(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Decrypt a value made by seal(); raise SealError if anything does not match."""
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != VERSION:
        raise SealError("sealed value has an unknown format")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, VERSION + aad)
    except InvalidTag:
        raise SealError("sealed value failed to authenticate") from None
