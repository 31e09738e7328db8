"""Same-person links: what the comparison of two registrations flags, and how it shows their
ID numbers."""

from __future__ import annotations

import pytest

from casemgr.people import identity, links
from casemgr.people.services import register_person


@pytest.mark.parametrize(
    ("a", "b", "found"),
    [
        (("female", 2013, "001313000123"), ("male", 2001, "079201000456"),
         [links.SEX_DIFFERS, links.BIRTH_YEARS_DIFFER, links.NATIONAL_IDS_DIFFER]),
        (("female", 2013, None), ("unknown", 2014, "001313000123"), []),
        (("male", 2000, "079 200 000 456"), ("male", 2002, "079200000456"),
         [links.BIRTH_YEARS_DIFFER]),
        (("male", None, None), ("female", 1990, None), [links.SEX_DIFFERS]),
    ],
)  # fmt: skip
def test_differences_flag_only_known_facts_that_disagree(db, a, b, found):
    first, second = (
        register_person(None, sex=sex, birth_year=year, given_name="An", national_id=nid)
        for sex, year, nid in (a, b)
    )
    assert links.differences(first, second) == found


def test_national_ids_are_masked_to_their_last_four_digits():
    assert identity.masked_national_id("079 201 000 456") == "••••••••0456"
    assert identity.masked_national_id("123456789") == "•••••6789"
    assert identity.masked_national_id(None) is None
    assert identity.masked_national_id("") is None
