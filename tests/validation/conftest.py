"""Fixtures of the validation tests: the casework world and the group cases."""

from tests.cases.conftest import casework  # noqa: F401  (fixture)
from tests.groups.conftest import groups  # noqa: F401  (fixture)
