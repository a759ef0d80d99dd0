"""Whether this server is answering requests: one in flight, or one ended a moment ago.

The edge (``rostra.web.edge.EdgeGuard``, the outermost layer of ``rostra serve``'s app) counts
each request from its start to its last byte, or its failure, and notes when the last one ended.
The in-process jobs runner asks ``busy`` before each batch and lets the batch wait for a quiet
moment (``rostra.jobs.runner``), so mails and webhooks give way to readers. "A moment ago"
matters: under steady traffic the count touches zero between two requests many times a second,
and a runner that took each of those instants would run all the time; ``QUIET_SECONDS`` with no
request is a real pause. The count changes on the event loop only; the runner's thread reads it.

With ``rostra serve --workers N`` the workers share the machine, so each runner must give way to
the requests of every worker, not only its own: the kernel hands connections out unevenly, and a
worker with few of them found quiet moments all the time and ran jobs on the core the busy worker
needed (posting into a followed thread at 74 % of plain posting, measured). The parent process
makes a small shared map, the *request board* (``REQUEST_BOARD_ENV`` names its folder to the
workers); each worker takes a slot of its own (a lock it holds for life, so a restarted worker
takes the slot of the one that died) and writes its count and last end there; ``busy`` reads
every slot.
A slot has one writer, so no lock is taken per request: two ``struct.pack_into`` on a shared map.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

QUIET_SECONDS = 0.02
#: Names the request board to the workers of one ``rostra serve`` (set by its parent process).
REQUEST_BOARD_ENV = "ROSTRA_REQUEST_BOARD"
#: A slot: the requests in flight, when one last started or ended (``time.monotonic``: one clock
#: for every process of the machine on Linux).
_SLOT = struct.Struct("<qd")
#: A slot whose worker wrote nothing for this long while it said a request was in flight is a
#: worker that died mid-request: its slot no longer says the server is busy.
_STALE_SECONDS = 120.0


class InFlight:
    """The count of HTTP requests under way in this process, and when the last one ended; with
    a ``board``, also what the other workers of the same server write there."""

    def __init__(self, board: RequestBoard | None = None) -> None:
        self.count = 0
        self.last_end = 0.0  # time.monotonic() of the last request's end
        self.board = board

    def started(self) -> None:
        self.count += 1
        if self.board is not None:
            self.board.write(self.count, time.monotonic())

    def ended(self) -> None:
        self.count -= 1
        self.last_end = time.monotonic()
        if self.board is not None:
            self.board.write(self.count, self.last_end)

    def busy(self) -> bool:
        """Whether a request is under way, or one ended less than ``QUIET_SECONDS`` ago, in this
        process or (with a board) in any worker of this server."""
        if self.count > 0 or time.monotonic() - self.last_end < QUIET_SECONDS:
            return True
        return self.board is not None and self.board.any_busy()


def in_flight_for_this_process() -> InFlight:
    """An ``InFlight`` on the server's request board when ``rostra serve`` made one, else one of
    this process alone (one worker, a test's app, ``rostra demo`` with one worker)."""
    path = os.environ.get(REQUEST_BOARD_ENV)
    if not path:
        return InFlight()
    try:
        return InFlight(RequestBoard.join(Path(path)))
    except (OSError, ValueError):
        return InFlight()  # no board (removed, full): give way to this process's requests only


class RequestBoard:
    """One worker's view of the board: its own slot to write, every slot to read.

    The board is a directory: ``slots`` (the shared map) and one lock file per slot, taken with
    ``flock`` (held by the open file, so it goes when its process dies, and two workers never
    share a slot even when a test opens both in one process)."""

    def __init__(self, lock_fd: int, view: mmap.mmap, slot: int) -> None:
        self._lock_fd = lock_fd
        self._view = view
        self.slot = slot
        self.slots = len(view) // _SLOT.size

    @staticmethod
    @contextlib.contextmanager
    def create(workers: int) -> Iterator[Path]:
        """A board for ``workers`` workers (and as many again for restarts), removed after."""
        folder = Path(tempfile.mkdtemp(prefix="rostra-requests-"))
        try:
            with (folder / "slots").open("wb") as slots:
                slots.truncate(_SLOT.size * max(1, workers) * 2)
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @classmethod
    def join(cls, folder: Path) -> RequestBoard:
        """Take a free slot of the board in ``folder`` (ValueError: none is free)."""
        with (folder / "slots").open("r+b") as slots:
            view = mmap.mmap(slots.fileno(), 0)  # the map outlives the file object
        if len(view) < _SLOT.size:
            view.close()
            raise ValueError("the request board is empty")
        for slot in range(len(view) // _SLOT.size):
            fd = os.open(folder / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue  # a live worker's slot
            _SLOT.pack_into(view, slot * _SLOT.size, 0, time.monotonic())
            return cls(fd, view, slot)
        view.close()
        raise ValueError("every slot of the request board is taken")

    def write(self, count: int, at: float) -> None:
        _SLOT.pack_into(self._view, self.slot * _SLOT.size, count, at)

    def any_busy(self) -> bool:
        now = time.monotonic()
        for slot in range(self.slots):
            count, at = _SLOT.unpack_from(self._view, slot * _SLOT.size)
            if count > 0 and now - at < _STALE_SECONDS:
                return True
            if now - at < QUIET_SECONDS:
                return True
        return False

    def close(self) -> None:
        """Give the slot back (a worker that exits; a dead one's lock goes with its process)."""
        with contextlib.suppress(ValueError, OSError):
            self.write(0, 0.0)
            self._view.close()
        with contextlib.suppress(OSError):
            os.close(self._lock_fd)
