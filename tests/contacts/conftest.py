import os

import pytest
from django.db import connection

from tests.conftest import IN_CI


@pytest.fixture(autouse=True)
def _postgresql_only(request):
    """``postgres_only`` tests prove what only PostgreSQL shows (row locks, its case folding):
    skipped on SQLite, but a failure when CI's PostgreSQL run would not execute them."""
    if request.node.get_closest_marker("postgres_only") is None:
        return
    if connection.vendor == "postgresql":
        return
    if IN_CI and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.fail(f"CI's PostgreSQL run must execute this test, but the database is {connection.vendor!r}")  # noqa: E501  # fmt: skip
    pytest.skip(f"needs PostgreSQL (its case folding, row locks), not {connection.vendor}. Run with DATABASE_URL=postgres://…")  # noqa: E501  # fmt: skip
