"""Append-only, hash-chained audit trail; imports no domain package."""

from casemgr.audit.recorder import record

__all__ = ["record"]
