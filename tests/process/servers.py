"""Run ``rostra`` as an operator does: the command line on a database of its own, ``rostra
serve --workers N`` as a real process tree, and SIGKILL for all of it at once.

Also tells which worker process answered a request: the client's end of a keep-alive connection
is matched to the server's end in ``/proc/net/tcp``, and that socket to the worker holding it.
Everything here waits on conditions (a log line, ``/healthz``, a process gone), never a fixed
time.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import SECRET
from tests.helpers import closed_port

ROSTRA = Path(sys.executable).with_name("rostra")
STARTED = "Application startup complete."
WORKER_PID = re.compile(r"Started server process \[(\d+)\]")  # each worker logs its pid
START_TIMEOUT = 90.0  # seconds; two workers importing Rostra on a busy 2-core machine


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Return once ``condition()`` holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(0.02)  # a polling interval, not a guess at how long anything takes


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (every thread's children), from /proc."""
    found: list[int] = []
    tasks = list(Path(f"/proc/{pid}/task").glob("*"))
    if tasks and not (tasks[0] / "children").exists():
        # A kernel without the children files: look for processes whose parent is ``pid``.
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with suppress(OSError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(stat.parent.name))
        return found
    for task in tasks:
        with suppress(OSError):
            found += [int(p) for p in (task / "children").read_text().split()]
    return found


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    for child in children(pid):
        out += [child, *descendants(child)]
    return out


def running(pid: int) -> bool:
    """Whether ``pid`` still runs: a zombie (dead, not yet reaped by its new parent) does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@dataclass
class Served:
    """One ``rostra serve`` process tree on 127.0.0.1:``port``; its log is ``log``."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    workers: list[int] = field(default_factory=list)
    # client port -> (the connection's stream, its worker): a port is reused by later
    # connections, which may go to the other worker, so the stream itself is compared too.
    _known: dict[int, tuple[object, int]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        # Generous: on a busy 2-core machine a request can queue behind many others.
        return httpx.Client(base_url=self.url, timeout=30)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def worker_of(self, answer: httpx.Response) -> int:
        """The pid of the worker that answered ``answer`` (on a connection still open)."""
        stream = answer.extensions["network_stream"]
        client_port: int = stream.get_extra_info("client_addr")[1]
        known = self._known.get(client_port)
        if known is None or known[0] is not stream:
            known = (stream, self._find_worker(client_port))
            self._known[client_port] = known
        return known[1]

    def _find_worker(self, client_port: int) -> int:
        # The server's end of the connection: local port ours, remote port the client's.
        local, remote = f":{self.port:04X}", f":{client_port:04X}"
        inode = None
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            cols = line.split()
            if cols[1].endswith(local) and cols[2].endswith(remote) and cols[9] != "0":
                inode = cols[9]
        assert inode is not None, f"no server socket for the client port {client_port}"
        target = f"socket:[{inode}]"
        for pid in self.workers:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with suppress(OSError):
                    if os.readlink(fd) == target:
                        return pid
        raise AssertionError(f"no worker of {self.workers} holds the connection {target}")


class RostraCommand:
    """``rostra`` on one database, with the environment production uses (as bench/run.py)."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.started: list[Served] = []

    def env(self, public_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRA_")}
        env.update(
            ROSTRA_DATABASE_URL=self.database_url,
            ROSTRA_SECRET_KEY=SECRET,
            ROSTRA_PRODUCTION="1",
            ROSTRA_PUBLIC_URL=public_url,
        )
        return env

    def run(self, *args: str) -> str:
        """One command (``migrate``, ``site add ...``); its output. Fails the test on an error."""
        done = subprocess.run(
            [str(ROSTRA), *args],
            env=self.env("http://127.0.0.1"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"rostra {' '.join(args)}: {done.stderr}"
        return done.stdout

    def serve(self, workers: int = 2) -> Served:
        """``rostra serve --workers`` on a free port, once every worker serves and /healthz
        answers."""
        port = closed_port()
        log = self.workdir / f"serve-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(ROSTRA), "serve", "--host", "127.0.0.1", "--port", str(port)]
                + ["--workers", str(workers)],
                env=self.env(f"http://127.0.0.1:{port}"),
                stdout=out,
                stderr=subprocess.STDOUT,
                # A process group of its own: one signal reaches the parent and every worker.
                start_new_session=True,
            )
        served = Served(process, port, log)
        self.started.append(served)

        def ready() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"rostra serve exited: {served.log_text()[-3000:]}")
            if served.log_text().count(STARTED) < workers:
                return False
            try:
                return httpx.get(served.url + "/healthz", timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, START_TIMEOUT, f"rostra serve with {workers} workers")
        # The parent's children are its workers and multiprocessing's resource tracker; the
        # workers are the ones that say they serve.
        logged = {int(pid) for pid in WORKER_PID.findall(served.log_text())}
        served.workers = [pid for pid in children(process.pid) if pid in logged]
        assert len(served.workers) == workers, (served.workers, served.log_text()[-3000:])
        return served

    def kill(self, served: Served) -> None:
        """SIGKILL the parent and every worker at once, as a crash or the OOM killer would."""
        tree = [served.process.pid, *descendants(served.process.pid)]
        assert set(served.workers) <= set(tree), "a worker was gone before the kill"
        os.killpg(served.process.pid, signal.SIGKILL)
        for pid in tree:  # any that left the group
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        served.process.wait(timeout=30)
        wait_until(lambda: not any(running(p) for p in tree), 30, "the killed processes to go")

    def stop_all(self) -> None:
        """Stop whatever still runs (the test's end): SIGTERM, then SIGKILL what lingers."""
        for served in self.started:
            if served.process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(served.process.pid, signal.SIGTERM)
                try:
                    served.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.kill(served)
            # Workers left behind by a failed start or a parent that died first.
            for pid in served.workers:
                if running(pid):
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)


@contextmanager
def rostra_on(database_url: str, workdir: Path) -> Iterator[RostraCommand]:
    """A ``RostraCommand`` whose servers are all stopped when the block ends."""
    command = RostraCommand(database_url, workdir)
    try:
        yield command
    finally:
        command.stop_all()
