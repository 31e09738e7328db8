"""Helpers every form module shares."""

from __future__ import annotations

from collections.abc import Mapping

from wtforms import SelectChoice


def choices(labels: Mapping, blank: bool = False) -> list[SelectChoice]:
    """Select choices from a {value: label} mapping (enum members or strings), optionally
    with an empty first choice."""
    listed = [SelectChoice(str(value), label) for value, label in labels.items()]
    return [SelectChoice("", "—"), *listed] if blank else listed
