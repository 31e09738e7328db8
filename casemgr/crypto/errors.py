"""The crypto package's own error types; their messages never carry values or key material."""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error raised while sealing or opening protected values."""


class IntegrityFailure(CryptoError):
    """A stored value failed to authenticate: tampered, truncated, moved or under a wrong key.

    Carries where the value lives (table, column, row id), never the value itself.
    """

    def __init__(
        self,
        message: str = "stored value failed to authenticate",
        *,
        table: str | None = None,
        column: str | None = None,
        row_id: int | None = None,
        reason: str = "bad value",
    ) -> None:
        super().__init__(message)
        self.table = table
        self.column = column
        self.row_id = row_id
        # A short code for the audit trail and the alert ("bad value", "row seal", "null key" ...).
        self.reason = reason

    def located(self, table: str, column: str | None, row_id: int | None) -> IntegrityFailure:
        """Return the same failure, naming where the value lives."""
        return IntegrityFailure(
            str(self), table=table, column=column, row_id=row_id, reason=self.reason
        )


class KeyUnavailable(CryptoError):
    """The key a value needs is not loaded (unknown or retired master key, no data key)."""


class PersonErased(CryptoError):
    """The person's data key was destroyed: their values can no longer be read or written."""
