"""The supervision tests' office (a province, two communes, workers, cases) serves here too."""

from tests.supervision.conftest import office  # noqa: F401 - the fixture
