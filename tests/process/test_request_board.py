"""``rostra serve --workers 2`` gives its workers one request board (rostra.web.in_flight), so
each worker's jobs runner gives way to the requests of both: the workers are told where it is,
each holds a slot of its own, and the board goes when the server stops."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from rostra.web.in_flight import REQUEST_BOARD_ENV
from tests.process.conftest import WORKERS, Deployment

pytestmark = [pytest.mark.xdist_group("processes"), pytest.mark.slow]


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_the_workers_share_one_board_and_it_goes_with_the_server(deployment: Deployment) -> None:
    served = deployment.server()
    boards = {environment_of(pid).get(REQUEST_BOARD_ENV) for pid in served.workers}
    assert len(boards) == 1 and None not in boards, boards
    folder = Path(next(iter(boards)))  # type: ignore[arg-type]
    assert (folder / "slots").is_file()
    # Each worker holds one slot's lock: of the board's slots, exactly WORKERS are taken.
    taken = 0
    for lock in sorted(folder.glob("slot-*.lock")):
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            taken += 1
        finally:
            os.close(fd)
    assert taken == WORKERS
    deployment.command.stop_all()
    deployment.running = None
    assert not folder.exists()
