"""Sealed text for service-point contacts, which belong to no data subject.

Person data is sealed under the person's data key (crypto.fields); a service point has no
person, so its address and contact are sealed under a key derived from the app secret for this
one purpose (crypto.sealedtext), each value bound to its table, column and row.
"""

from __future__ import annotations

from casemgr.crypto import sealedtext

PURPOSE = "casemgr service point contacts"


class SealedText(sealedtext.SealedText):
    """A service point's sealed address or contact."""

    purpose = PURPOSE
