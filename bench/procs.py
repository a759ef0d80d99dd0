"""Servers the bench starts, and what their process trees cost in CPU and memory (Linux /proc).

Every server runs in its own session (process group), so stopping it reaches its workers too,
even when the master is wedged. Memory is the sum over the whole tree of VmRSS (double-counts
pages shared after fork) and of PSS (shared pages split between their users), read from
``/proc/PID/smaps_rollup``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def tree(root: int) -> list[int]:
    """``root`` and all of its descendants that are alive now."""
    seen: list[int] = []
    stack = [root]
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        seen.append(pid)
        for task in tasks:
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as fh:
                stack.extend(int(x) for x in fh.read().split())
    return seen


def cpu_seconds(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    return total


def memory_kib(pids: Sequence[int]) -> tuple[int, int]:
    """(RSS, PSS) in KiB, summed over ``pids``."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


def host_cpu() -> tuple[int, int]:
    """(busy, total) clock ticks of the whole machine since boot."""
    with open("/proc/stat") as fh:
        values = [int(x) for x in fh.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class Server:
    """One server under test: how to start it, and the running process group."""

    name: str
    port: int
    argv: list[str]
    env: dict[str, str]
    log: Path
    ready_path: str
    workers: int
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    idle_kib: tuple[int, int] = (0, 0)
    idle_procs: int = 0
    peak_kib: list[int] = field(default_factory=lambda: [0, 0])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start; see {self.log}")
            if self._answers() and len(self.pids()) > self.workers:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + self.ready_path, timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def pids(self) -> list[int]:
        return tree(self.proc.pid) if self.proc and self.proc.poll() is None else []

    def stop(self) -> None:
        """Stop the whole process group: TERM, then KILL whatever is left after 5 s."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        # Workers may outlive their master; the group id is the master's pid either way.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    def measure_idle(self) -> None:
        pids = self.pids()
        self.idle_procs = len(pids)
        self.idle_kib = memory_kib(pids)

    def idle(self, window: float = 0.5, threshold: float = 0.05) -> bool:
        pids = self.pids()
        before = cpu_seconds(pids)
        time.sleep(window)
        return cpu_seconds(pids) - before < threshold * window


class PeakSampler:
    """Samples a server tree's memory every ``every`` seconds while a measurement runs."""

    def __init__(self, pids: Callable[[], list[int]], every: float = 0.25) -> None:
        self._pids = pids
        self._every = every
        self._stop = threading.Event()
        self.peak_rss = 0
        self.peak_pss = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, pss = memory_kib(self._pids())
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(self._every)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
