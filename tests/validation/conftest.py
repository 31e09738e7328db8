"""Fixtures of the validation tests: the casework world, group cases, support records, models."""

from tests.cases.conftest import casework  # noqa: F401  (fixture)
from tests.groups.conftest import groups  # noqa: F401  (fixture)
from tests.programmes.conftest import programmes  # noqa: F401  (fixture)
from tests.support.conftest import support  # noqa: F401  (fixture)
from tests.support.test_pages import records  # noqa: F401  (fixture)
