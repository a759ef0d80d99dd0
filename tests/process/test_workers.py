"""``rostra serve --workers 2`` as real processes, on SQLite and on PostgreSQL.

What only several processes show: a comment acknowledged (201) survives SIGKILL of the parent
and every worker, and the thread's count agrees with its comments after the restart; a read
answered by either worker shows the comment another worker just wrote (the render cache is
revalidated by the thread's version, docs/adr/0001); and on SQLite, writers in two workers at
once all succeed (one writer at a time, queued by the writer lock, docs/adr/0003).

Which worker answered is not guessed: ``Served.worker_of`` finds the worker that holds the
server's end of the connection, and each test checks that both workers took part.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

import httpx
import pytest

from tests.process.conftest import SITE, Deployment
from tests.process.servers import Served

# One xdist worker runs them all: each starts server processes, and two at once would starve
# a 2-core machine.
pytestmark = [pytest.mark.xdist_group("processes"), pytest.mark.slow]

API = f"/api/v1/sites/{SITE}"
# Each note's body carries a marker of our own ("w3-17"), so every stored comment can be traced
# to the request that sent it.
MARKER = re.compile(r"Note (w\d+-\d+|r\d+)\b")


def post(client: httpx.Client, thread: str, marker: str) -> httpx.Response:
    payload = {
        "thread": thread,
        "author": f"Writer {marker.split('-')[0]}",
        "body": f"Note {marker} about the process tests.",
        "nonce": uuid.uuid4().hex,
    }
    return client.post(f"{API}/comments", json=payload)


@dataclass
class ThreadState:
    """What the API says of a thread: its comments (id -> marker) and its counts."""

    markers: dict[str, str]
    comment_count: int
    total_comments: int
    counted: int


def thread_state(client: httpx.Client, thread: str) -> ThreadState:
    listed = client.get(f"{API}/comments", params={"thread": thread, "all": "1"})
    assert listed.status_code == 200, listed.text
    page = listed.json()
    counts = client.get(f"{API}/counts", params={"thread": thread})
    assert counts.status_code == 200, counts.text
    markers: dict[str, str] = {}
    for comment in page["comments"]:
        assert comment["id"] not in markers, f"{comment['id']} listed twice"
        assert not comment["replies"]
        found = MARKER.search(comment["html"])
        assert found, comment["html"]
        markers[comment["id"]] = found.group(1)
    return ThreadState(
        markers,
        comment_count=page["thread"]["comment_count"],
        total_comments=page["total_comments"],
        counted=counts.json()["counts"][thread],
    )


@pytest.fixture
def clients() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def clients_on_every_worker(
    served: Served, per_worker: int, stack: ExitStack
) -> list[httpx.Client]:
    """``per_worker`` keep-alive clients connected to each worker, alternating workers.

    The kernel gives a new connection to whichever worker accepts first, so connect until each
    worker holds enough of them (a bounded number of tries, not a wait on time).
    """
    by_worker: dict[int, list[httpx.Client]] = {pid: [] for pid in served.workers}
    for _ in range(400):
        if all(len(held) >= per_worker for held in by_worker.values()):
            break
        client = stack.enter_context(served.client())
        pid = served.worker_of(client.get("/healthz"))
        if len(by_worker[pid]) < per_worker:
            by_worker[pid].append(client)
        else:
            client.close()
    spread = {pid: len(held) for pid, held in by_worker.items()}
    assert all(n >= per_worker for n in spread.values()), f"connections per worker: {spread}"
    return [by_worker[pid][i] for i in range(per_worker) for pid in served.workers]


# -- kill -9 ------------------------------------------------------------------------------------

WRITERS = 6
ACKNOWLEDGED_BEFORE_KILL = 60


@dataclass
class Writers:
    """Threads posting to one thread until the server dies under them."""

    served: Served
    thread: str
    acknowledged: dict[str, str] = field(default_factory=dict)  # comment id -> marker
    unanswered: set[str] = field(default_factory=set)  # sent, cut by the kill
    failures: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, count: int) -> None:
        for n in range(count):
            thread = threading.Thread(target=self._write, args=(n,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _write(self, n: int) -> None:
        try:
            with self.served.client() as client:
                seq = 0
                while True:
                    marker = f"w{n}-{seq}"
                    try:
                        answer = post(client, self.thread, marker)
                    except httpx.TransportError:
                        # The kill cut this request (or refused its connection): it may or may
                        # not have been written, and nobody was told it was.
                        with self.changed:
                            self.unanswered.add(marker)
                        return
                    if answer.status_code != 201:
                        raise AssertionError(f"{marker}: {answer.status_code} {answer.text}")
                    with self.changed:
                        self.acknowledged[answer.json()["comment"]["id"]] = marker
                        self.changed.notify_all()
                    seq += 1
        except BaseException as exc:  # reported by the test, not lost in a thread
            with self.changed:
                self.failures.append(repr(exc))
                self.changed.notify_all()

    def wait_for(self, acknowledged: int) -> None:
        with self.changed:
            reached = self.changed.wait_for(
                lambda: len(self.acknowledged) >= acknowledged or bool(self.failures), timeout=90
            )
        assert not self.failures, self.failures
        assert reached, f"only {len(self.acknowledged)} comments acknowledged"

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)
            assert not thread.is_alive(), "a writer still runs after the kill"


def test_acknowledged_comments_survive_sigkill_of_every_process(deployment: Deployment) -> None:
    served = deployment.server()
    writers = Writers(served, thread="kept")
    # The thread exists before the writers start, so what they race on is comments (the race to
    # create a thread is tests/storage/test_thread_creation_race.py's).
    with served.client() as client:
        first = post(client, "kept", "r0")
    assert first.status_code == 201, first.text
    writers.acknowledged[first.json()["comment"]["id"]] = "r0"
    writers.start(WRITERS)
    # Kill while the writers are still posting: each has a request in flight or about to be.
    writers.wait_for(ACKNOWLEDGED_BEFORE_KILL)
    deployment.kill()
    writers.join()
    assert not writers.failures, writers.failures
    acknowledged = dict(writers.acknowledged)
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL
    assert len(writers.unanswered) == WRITERS  # every writer ended on the kill, none earlier

    again = deployment.server()  # a new process tree on the same database
    assert again is not served
    with again.client() as client:
        state = thread_state(client, "kept")
        missing = {cid: m for cid, m in acknowledged.items() if cid not in state.markers}
        assert not missing, f"acknowledged, then lost in the kill: {missing}"
        for cid, marker in acknowledged.items():
            assert state.markers[cid] == marker
        # Written but never acknowledged: at most the requests the kill cut, one per writer.
        extra = set(state.markers.values()) - set(acknowledged.values())
        assert extra <= writers.unanswered, extra - writers.unanswered
        assert len(set(state.markers.values())) == len(state.markers), "a note stored twice"
        shown = len(state.markers)
        assert state.comment_count == state.total_comments == state.counted == shown
        assert shown == len(acknowledged) + len(extra)

        # The database took no harm: the next write is acknowledged and counted.
        answer = post(client, "kept", "r1")
        assert answer.status_code == 201, answer.text
        after = thread_state(client, "kept")
        assert after.comment_count == after.counted == len(after.markers) == shown + 1


# -- read after write, across workers -----------------------------------------------------------

ROUNDS = 6


def test_every_worker_shows_a_comment_as_soon_as_it_is_acknowledged(
    deployment: Deployment, clients: ExitStack
) -> None:
    served = deployment.server()
    readers = clients_on_every_worker(served, per_worker=2, stack=clients)
    thread = "fresh"
    written: dict[str, str] = {}
    posted_by: set[int] = set()
    for n in range(ROUNDS):
        if written:
            # Every worker renders the thread as it is, so a stale copy is in each cache.
            for reader in readers:
                assert thread_state(reader, thread).markers == written
                assert reader.get(f"/embed/{SITE}/thread", params={"thread": thread}).is_success
        writer = readers[n % len(readers)]  # alternates between the workers
        answer = post(writer, thread, f"r{n}")
        assert answer.status_code == 201, answer.text
        posted_by.add(served.worker_of(answer))
        written[answer.json()["comment"]["id"]] = f"r{n}"
        answered_by: set[int] = set()
        for reader in readers:
            # The default page and the embed's fragment are what readers ask for (and what
            # is cached); ``thread_state`` reads every comment and the count.
            page = reader.get(f"{API}/comments", params={"thread": thread})
            assert page.status_code == 200, page.text
            answered_by.add(served.worker_of(page))
            assert {c["id"] for c in page.json()["comments"]} == set(written), (
                f"worker {served.worker_of(page)} served a stale page after round {n}"
            )
            fragment = reader.get(f"/embed/{SITE}/thread", params={"thread": thread})
            assert fragment.status_code == 200, fragment.text
            assert f"Note r{n} " in fragment.text, f"a stale fragment after round {n}"
            state = thread_state(reader, thread)
            assert state.markers == written
            assert state.comment_count == state.total_comments == state.counted == n + 1
        assert answered_by == set(served.workers), answered_by
    assert posted_by == set(served.workers), posted_by


# -- SQLite's writer lock -----------------------------------------------------------------------

WRITERS_PER_WORKER = 3
POSTS_EACH = 25


@pytest.mark.parametrize("deployment", ["sqlite"], indirect=True)
def test_writers_in_two_workers_at_once_all_succeed_on_sqlite(
    deployment: Deployment, clients: ExitStack
) -> None:
    served = deployment.server()
    writers = clients_on_every_worker(served, per_worker=WRITERS_PER_WORKER, stack=clients)
    start = threading.Barrier(len(writers))
    answers: list[tuple[int, int, str]] = []  # (status, worker, body) of every post
    errors: list[str] = []
    lock = threading.Lock()

    def write(n: int, client: httpx.Client) -> None:
        try:
            start.wait(timeout=60)  # every writer starts together, so they contend
            for seq in range(POSTS_EACH):
                answer = post(client, "contended", f"w{n}-{seq}")
                with lock:
                    answers.append((answer.status_code, served.worker_of(answer), answer.text))
        except BaseException as exc:  # reported by the test, not lost in a thread
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=write, args=p, daemon=True) for p in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    refused = [(status, body[:300]) for status, _, body in answers if status != 201]
    assert not refused, refused[:5]
    assert len(answers) == len(writers) * POSTS_EACH
    assert {worker for _, worker, _ in answers} == set(served.workers)
    with served.client() as client:
        state = thread_state(client, "contended")
    assert len(state.markers) == state.comment_count == state.counted == len(answers)
