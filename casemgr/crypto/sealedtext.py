"""Sealed text for records that belong to no data subject (yet): one key per purpose.

Person data is sealed under the person's data key (crypto.fields). A service point's contact,
or an intake report received before anyone knows which person it is about, has no person, so
its text is sealed under a key derived from the app secret for that one purpose (like TOTP
seeds), each value bound to its table, column and row.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import current_app

from casemgr.crypto.errors import IntegrityFailure
from casemgr.crypto.fields import report_integrity_failure
from casemgr.crypto.secretbox import SealError, derive_key, seal, unseal


def _aad(table: str, column: str, row_id: int) -> bytes:
    return f"{table}.{column}:{row_id}".encode()


class SealedText:
    """Descriptor for a text attribute kept sealed in the LargeBinary column `column`.

    Subclasses name their `purpose` (the key derivation label). The row must have its id
    before a value is set (the service flushes first), since the ciphertext is bound to it.
    """

    purpose: ClassVar[str] = ""

    def __init__(self, column: str) -> None:
        if not self.purpose:
            raise TypeError("a SealedText subclass must name its purpose")
        self.column = column

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def _key(self) -> bytes:
        return derive_key(current_app.extensions["casemgr.keys"].secret_key, self.purpose)

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        blob = getattr(obj, self.column)
        if blob is None:
            return None
        try:
            return unseal(
                self._key(), bytes(blob), _aad(obj.__tablename__, self.column, obj.id)
            ).decode()
        except (SealError, UnicodeDecodeError):
            failure = IntegrityFailure(
                "sealed value failed to authenticate",
                table=obj.__tablename__,
                column=self.column,
                row_id=obj.id,
            )
            report_integrity_failure(failure)
            raise failure from None

    def __set__(self, obj: Any, value: str | None) -> None:
        if obj.id is None:
            raise ValueError(f"{self.name}: flush the row before sealing a value")
        sealed = None
        if value is not None:
            sealed = seal(self._key(), value.encode(), _aad(obj.__tablename__, self.column, obj.id))
        setattr(obj, self.column, sealed)
