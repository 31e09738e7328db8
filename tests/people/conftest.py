"""Fixtures for person tests: the case tests' province with two communes and their users."""

from tests.cases.conftest import casework  # noqa: F401
