"""Fixtures of tests/api: the real service next to the Gainsight simulator (tests/e2e's fixtures)."""

from e2e.conftest import gainsight_service, simulator  # noqa: F401 (fixtures used by name)
