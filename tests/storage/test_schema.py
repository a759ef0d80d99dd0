"""The schema check that every worker runs (``/healthz``, ``serve``) agrees with Alembic and does
not load it: Alembic costs each process about 11 MB that a server never needs."""

from __future__ import annotations

import subprocess
import sys

from rostra.storage.migrate import head
from rostra.storage.schema import SCHEMA_HEAD


def test_the_head_the_workers_expect_is_alembics() -> None:
    # Adding a migration without moving SCHEMA_HEAD would make every healthy server look stale.
    assert head() == SCHEMA_HEAD


def test_a_server_worker_does_not_import_alembic() -> None:
    program = (
        "import sys\n"
        "from rostra.app import create_app\n"
        "from rostra.config import load_settings\n"
        "from rostra.storage.schema import HealthCheck\n"
        "app = create_app(load_settings(env={}, database_url='sqlite:///:memory:',"
        " secret_key='x' * 40))\n"
        "assert 'alembic' not in sys.modules, sorted(m for m in sys.modules if 'alembic' in m)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
