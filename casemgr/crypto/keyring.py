"""The key ring: master keys by id and state, derived blind-index keys, key-check values."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from casemgr.crypto.errors import KeyUnavailable
from casemgr.crypto.keyfile import KeyEntry, KeyFileError, KeyMaterial, load_key_file
from casemgr.ops import metrics

log = logging.getLogger(__name__)

# Master keys that may still unwrap data keys; retired ones may not (and may leave the file).
UNWRAP_STATES = ("active", "decrypt-only")
# Index keys whose entries writers keep up to date: the active one, the one being filled in
# (pending), and the previous one until it is retired (instances not yet reloaded still use it).
INDEX_WRITE_STATES = ("active", "pending", "decrypt-only")


def _hkdf(key: bytes, info: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode()).derive(key)


@dataclass(frozen=True)
class KeyCheckValue:
    """What the database keeps about one key: its kind, state and a MAC proving the key."""

    key_id: str
    kind: str
    state: str
    mac: bytes


def check_mac(key: bytes, kind: str, key_id: str) -> bytes:
    """HMAC of a constant under a key derived from `key`: proves the key without revealing it."""
    check_key = _hkdf(key, "casemgr key check v1")
    return hmac.new(check_key, f"{kind}:{key_id}".encode(), hashlib.sha256).digest()


class KeyRing:
    """The loaded keys, looked up by id; reloads a changed key file so running workers follow
    a rotation without a restart."""

    def __init__(
        self,
        material: KeyMaterial,
        path: str | None = None,
        validator: Callable[[KeyRing], None] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.path = path
        # Checks a reloaded key file against the database before it replaces the keys in use.
        self.validator = validator
        self._install(material, self._signature())

    def _install(self, material: KeyMaterial, signature: tuple | None) -> None:
        self.material = material
        self._signature_seen = signature
        self._masters = {entry.id: entry for entry in material.master_keys}
        self._indexes = {entry.id: entry for entry in material.index_keys}
        self._aeads: dict[str, AESGCM] = {}
        self._derived: dict[tuple[str, str], bytes] = {}

    # -- reloading ---------------------------------------------------------------------------

    def _signature(self) -> tuple | None:
        if self.path is None:
            return None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def refresh(self) -> bool:
        """Reload the key file if it changed on disk; keep the old keys if the new file is bad."""
        if self.path is None or self._signature() == self._signature_seen:
            return False
        with self._lock:
            signature = self._signature()
            if signature == self._signature_seen:
                return False
            try:
                material = load_key_file(self.path)
                if self.validator is not None:
                    self.validator(KeyRing(material))
            except KeyFileError as exc:
                # Fail closed at the next start; keep serving with the keys already checked.
                log.error("key file changed but is refused: %s", exc)
                metrics.KEY_OPERATIONS.labels("reload_refused").inc()
                self._signature_seen = signature
                return False
            self._install(material, signature)
            log.info("key file reloaded")
            metrics.KEY_OPERATIONS.labels("reload").inc()
            return True

    def replace(self, material: KeyMaterial) -> None:
        """Install new key material (after this process rewrote the key file)."""
        with self._lock:
            self._install(material, self._signature())

    # -- master keys -------------------------------------------------------------------------

    @property
    def active_master(self) -> KeyEntry:
        """The master key new data keys are wrapped under."""
        return next(e for e in self.material.master_keys if e.state == "active")

    def master_aead(self, key_id: str) -> AESGCM:
        """The AES-GCM object of a master key that may unwrap; KeyUnavailable otherwise."""
        aead = self._aeads.get(key_id)
        if aead is not None:
            return aead
        entry = self._masters.get(key_id)
        if entry is None and self.refresh():  # a rotation elsewhere added it
            entry = self._masters.get(key_id)
        if entry is None:
            raise KeyUnavailable(f"master key {key_id} is not loaded")
        if entry.state not in UNWRAP_STATES:
            raise KeyUnavailable(f"master key {key_id} is {entry.state}")
        aead = self._aeads[key_id] = AESGCM(entry.key)
        return aead

    # -- blind-index keys --------------------------------------------------------------------

    @property
    def active_index(self) -> KeyEntry:
        """The index key searches use."""
        return next(e for e in self.material.index_keys if e.state == "active")

    @property
    def pending_index(self) -> KeyEntry | None:
        """The index key being filled in alongside the active one, if a rotation is under way."""
        return next((e for e in self.material.index_keys if e.state == "pending"), None)

    def index_write_keys(self) -> list[KeyEntry]:
        """Index keys whose entries are maintained on every write."""
        return [e for e in self.material.index_keys if e.state in INDEX_WRITE_STATES]

    def index_key(self, key_id: str, index_name: str) -> bytes:
        """The key of one blind index under one index key (HKDF: one key per index)."""
        cached = self._derived.get((key_id, index_name))
        if cached is not None:
            return cached
        entry = self._indexes.get(key_id)
        if entry is None or entry.state == "retired":
            raise KeyUnavailable(f"index key {key_id} is not usable")
        derived = self._derived[(key_id, index_name)] = _hkdf(
            entry.key, f"casemgr blind index v1:{index_name}"
        )
        return derived

    # -- key checks --------------------------------------------------------------------------

    def check_values(self) -> dict[str, KeyCheckValue]:
        """One check value per loaded key, the single-purpose secrets included."""
        values: dict[str, KeyCheckValue] = {}
        for kind, entries in (
            ("master", self.material.master_keys),
            ("index", self.material.index_keys),
        ):
            for entry in entries:
                values[entry.id] = KeyCheckValue(
                    entry.id, kind, entry.state, check_mac(entry.key, kind, entry.id)
                )
        for name in ("secret_key", "audit_mac_key", "audit_signing_key"):
            key = getattr(self.material, name)
            values[name] = KeyCheckValue(name, "secret", "active", check_mac(key, "secret", name))
        return values
