"""Fixtures of the web tests (the server, its clients and the databases are tests/conftest.py's)."""

from __future__ import annotations

import pytest

from tests.conftest import LiveServer
from tests.helpers import QUIET


@pytest.fixture
def quiet(server: LiveServer) -> LiveServer:
    """The server, its demo site publishing without the toxicity classifier (see ``QUIET``)."""
    server.store.update_site("demo", None, QUIET)
    return server
