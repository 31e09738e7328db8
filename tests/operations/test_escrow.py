"""Key escrow: sealed to a passphrase or to n-of-m SLIP-39 shares, and opened again."""

from __future__ import annotations

import itertools
import json

import pytest

from casemgr.crypto.keyfile import new_key_document
from casemgr.operations import escrow
from casemgr.operations.backup import new_backup_key
from casemgr.operations.escrow import EscrowBundle, EscrowError

PASSPHRASE = "correct horse battery staple 1975"


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    monkeypatch.setattr(escrow, "SCRYPT_N", 2**12)


@pytest.fixture
def bundle() -> EscrowBundle:
    return EscrowBundle(new_key_document(), new_backup_key())


def test_passphrase_round_trip(bundle):
    document = escrow.seal_to_passphrase(bundle, PASSPHRASE)
    text = json.dumps(document)
    assert bundle.key_document["master_keys"][0]["key"] not in text
    opened = escrow.open_with_passphrase(escrow.read_escrow(text), PASSPHRASE)
    assert opened == bundle


def test_wrong_passphrase_short_passphrase_and_altered_file_are_refused(bundle):
    document = escrow.seal_to_passphrase(bundle, PASSPHRASE)
    with pytest.raises(EscrowError, match="does not open"):
        escrow.open_with_passphrase(document, PASSPHRASE + "x")
    with pytest.raises(EscrowError, match="does not open"):
        escrow.open_with_passphrase({**document, "key_ids": ["mk-other"]}, PASSPHRASE)
    with pytest.raises(EscrowError, match="at least"):
        escrow.seal_to_passphrase(bundle, "short")


def test_any_threshold_of_the_shares_opens_and_fewer_do_not(bundle):
    shared = escrow.seal_to_shares(bundle, 3, 5)
    assert len(shared.shares) == 5 and len(set(shared.shares)) == 5
    text = json.dumps(shared.document)
    assert not any(share.split()[4] in text.split('"') for share in shared.shares)
    for chosen in itertools.islice(itertools.combinations(shared.shares, 3), 4):
        assert escrow.open_with_shares(shared.document, list(chosen)) == bundle
    with pytest.raises(EscrowError, match="do not combine"):
        escrow.open_with_shares(shared.document, shared.shares[:2])
    other = escrow.seal_to_shares(bundle, 2, 2)
    with pytest.raises(EscrowError):
        escrow.open_with_shares(shared.document, other.shares)


def test_share_counts_are_checked(bundle):
    for threshold, count in [(1, 3), (4, 3), (2, 17)]:
        with pytest.raises(EscrowError):
            escrow.seal_to_shares(bundle, threshold, count)


def test_methods_are_not_mixed(bundle):
    with pytest.raises(EscrowError, match="shares"):
        escrow.open_with_passphrase(escrow.seal_to_shares(bundle, 2, 3).document, PASSPHRASE)
    with pytest.raises(EscrowError, match="passphrase"):
        escrow.open_with_shares(escrow.seal_to_passphrase(bundle, PASSPHRASE), [])
    with pytest.raises(EscrowError, match="not a casemgr key escrow"):
        escrow.read_escrow('{"format": 1}')
