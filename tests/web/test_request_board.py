"""The request board of ``rostra serve --workers N`` (rostra.web.in_flight): each worker's jobs
runner gives way to the requests of every worker. Real files, real processes: a request under
way in another process makes this one busy; a worker killed mid-request frees its slot for the
worker started in its place; a full board or a missing one leaves a worker on its own count."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rostra.web.in_flight import (
    QUIET_SECONDS,
    REQUEST_BOARD_ENV,
    InFlight,
    RequestBoard,
    in_flight_for_this_process,
)

# A worker in another process: joins the board, starts a request, says so, waits to be told to
# end it (or to be killed).
OTHER_WORKER = """
import sys
from pathlib import Path
from rostra.web.in_flight import InFlight, RequestBoard
board = RequestBoard.join(Path(sys.argv[1]))
flight = InFlight(board)
flight.started()
print(board.slot, flush=True)
sys.stdin.readline()
flight.ended()
print("ended", flush=True)
sys.stdin.readline()
"""


def quiet_soon(flight: InFlight, timeout: float = 10.0) -> bool:
    """Whether ``flight`` stops being busy within ``timeout`` s (a condition, not a sleep)."""
    deadline = time.monotonic() + timeout
    while flight.busy():
        if time.monotonic() > deadline:
            return False
        time.sleep(QUIET_SECONDS / 4)
    return True


def other_worker(board: Path) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", OTHER_WORKER, str(board)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def test_a_request_in_another_worker_makes_this_one_busy_until_it_ends() -> None:
    with RequestBoard.create(workers=2) as path:
        mine = InFlight(RequestBoard.join(path))
        assert quiet_soon(mine)  # a new board, nothing under way
        proc, slot = other_worker(path)
        try:
            assert slot != mine.board.slot  # type: ignore[union-attr]
            assert mine.count == 0 and mine.busy()  # only the other process is answering
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write("\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "ended"
            assert quiet_soon(mine)
        finally:
            proc.kill()
            proc.communicate(timeout=30)


def test_a_worker_killed_mid_request_leaves_its_slot_to_the_next_one() -> None:
    with RequestBoard.create(workers=1) as path:  # two slots
        mine = InFlight(RequestBoard.join(path))
        proc, slot = other_worker(path)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert mine.busy()  # it died saying a request was under way
        # The worker started in its place takes the slot (the dead one's lock went with it) and
        # writes over what it said.
        again, slot_again = other_worker(path)
        try:
            assert slot_again == slot
            assert again.stdin is not None and again.stdout is not None
            again.stdin.write("\n")
            again.stdin.flush()
            assert again.stdout.readline().strip() == "ended"
            assert quiet_soon(mine)
        finally:
            again.kill()
            again.communicate(timeout=30)


def test_a_full_board_is_refused_and_a_worker_then_counts_its_own_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with RequestBoard.create(workers=1) as path:  # two slots
        held = [RequestBoard.join(path), RequestBoard.join(path)]
        # (A slot is a byte-range lock of its process: a third process finds none free.)
        done = subprocess.run(
            [sys.executable, "-c",
             "import sys; from pathlib import Path; from rostra.web.in_flight import "
             "RequestBoard as B; B.join(Path(sys.argv[1]))", str(path)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode != 0 and "every slot of the request board is taken" in done.stderr
        monkeypatch.setenv(REQUEST_BOARD_ENV, str(path / "missing"))  # a board that is gone
        alone = in_flight_for_this_process()
        assert alone.board is None
        for board in held:
            board.close()
    assert not path.exists()  # the parent removes the board when the server stops


def test_without_a_board_a_process_counts_its_own_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUEST_BOARD_ENV, raising=False)
    flight = in_flight_for_this_process()
    assert flight.board is None and quiet_soon(flight)
    flight.started()
    assert flight.busy()
    flight.ended()
    assert quiet_soon(flight)
