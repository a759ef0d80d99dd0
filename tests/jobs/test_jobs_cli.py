"""``rostra jobs list`` and ``rostra jobs retry``: an admin sees the dead-letter list and queues a
job again; a wrong id is one line and status 2; ``rostra worker`` refuses a plug-in it cannot
load, in one line."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, datetime

import pytest

from rostra.cli import main
from rostra.jobs.queue import Claim, JobState
from rostra.services.ports import NewJob
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.repository import SqlStore

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def test_an_admin_lists_the_dead_jobs_and_retries_one(store: SqlStore, db_url: str) -> None:
    with store.write() as tx:
        for key in ("mail:1", "mail:2", "mail:3"):
            tx.enqueue(NewJob("test.record", {}, key), NOW)
    queue = SqlJobQueue(store.engines)
    first, second, _ = queue.claim(Claim("w", NOW, 2, 60, 5)) + [None]
    assert first is not None and second is not None
    queue.fail(first, "w", NOW, "SMTPRecipientsRefused", None)
    queue.complete(second, "w", NOW)

    code, out, err = run("jobs", "list", "--dead", "--database-url", db_url)
    assert (code, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split("\t")[:5] == ["id", "state", "kind", "attempts", "last error"]
    assert [row.split("\t")[:5] for row in rows] == [
        [str(first.id), "dead", "test.record", "1", "SMTPRecipientsRefused"]
    ]
    assert rows[0].endswith("\tmail:1")
    code, out, _ = run("jobs", "list", "--database-url", db_url)
    assert [line.split("\t")[1] for line in out.splitlines()[1:]] == ["queued", "done", "dead"]

    code, out, err = run("jobs", "retry", str(first.id), "--database-url", db_url)
    assert (code, out, err) == (0, f"job {first.id} queued again\n", "")
    assert [(r.state, r.attempts) for r in queue.list_jobs(JobState.QUEUED, 10)] == [
        (JobState.QUEUED, 0),
        (JobState.QUEUED, 0),
    ]
    assert run("jobs", "list", "--dead", "--database-url", db_url)[1].count("\n") == 1
    # A done job, or one that does not exist, cannot be retried: one line, status 2.
    code, out, err = run("jobs", "retry", str(second.id), "999", "--database-url", db_url)
    assert (code, out) == (2, "")
    assert err == f"rostra: error: no dead or waiting job with id {second.id}, 999\n"


def test_a_worker_with_a_plugin_it_cannot_load_stops_in_one_line(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROSTRA_JOBS_PLUGINS", "tests.jobs.not_there:register")
    code, out, err = run("worker", "--database-url", db_url)
    assert (code, out) == (2, "")
    assert err == (
        "rostra: error: jobs_plugins entry 'tests.jobs.not_there:register' cannot be loaded: "
        "ModuleNotFoundError\n"
    )
    monkeypatch.setenv("ROSTRA_JOBS_PLUGINS", "tests.jobs.plugin")
    code, out, err = run("worker", "--database-url", db_url)
    assert (code, out) == (2, "")
    assert "jobs_plugins takes module:function entries" in err
