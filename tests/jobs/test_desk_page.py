"""The desk's background jobs page (SQLite and PostgreSQL): an admin sees the dead-letter list
and the jobs waiting on a retry (kind, site where the payload names one, attempts, the last
error escaped and cut short, when), queues one again or every dead one; a moderator gets 403
pages and no link; forged or cross-origin forms, unknown and non-numeric job numbers are
readable refusals that change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rostra.domain.clock import utc_now
from rostra.domain.desk import Role
from rostra.jobs.queue import Claim, JobState
from rostra.services.ports import NewJob
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.tables import jobs
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import PASSWORD, QUIET, desk_client, sign_in, staff_accounts

pytestmark = pytest.mark.in_process
PAGE = "/moderation/jobs"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # The test decides when jobs fail; no runner takes them meanwhile.
    return {"jobs_in_process": False}


@pytest.fixture
def newsroom(server: LiveServer) -> Any:
    store = server.store
    site = store.create_site("mine", "Mine", [HOST_ORIGIN], QUIET)
    accounts = staff_accounts(store)
    accounts.create("boss", PASSWORD, Role.ADMIN, [], "Chief Editor")
    accounts.create("mod", PASSWORD, Role.MODERATOR, [site.id], "Moderator Mo")
    return site


@pytest.fixture
def admin(server: LiveServer, newsroom: Any) -> Iterator[tuple[httpx.Client, str]]:
    with desk_client(server) as client:
        yield client, sign_in(client, "boss", csrf_from=PAGE)


def fail(server: LiveServer, key: str, payload: dict[str, Any], error: str, *, dead: bool) -> int:
    """A job enqueued, claimed and failed: dead, or queued again for an hour from now."""
    queue = SqlJobQueue(server.store.engines)
    now = utc_now()
    with server.store.write() as tx:
        assert tx.enqueue(NewJob("test.kind", payload, key), now)
    [job] = queue.claim(Claim("test-worker", now, 1, 60, 8))
    retry_at = None if dead else now + timedelta(hours=1)
    assert queue.fail(job, "test-worker", now, error, retry_at)
    return job.id


def table(server: LiveServer) -> list[tuple[Any, ...]]:
    with server.store.engines.read.connect() as conn:
        rows = conn.execute(select(jobs).order_by(jobs.c.id)).all()
    return [tuple(r) for r in rows]


def states(server: LiveServer) -> dict[int, tuple[str, int]]:
    return {row[0]: (row[4], row[5]) for row in table(server)}


@pytest.fixture
def failed(server: LiveServer, newsroom: Any) -> dict[str, int]:
    return {
        "hook": fail(
            server,
            "hook-1",
            {"site": "mine", "site_id": newsroom.id, "endpoint": 1},
            "HTTP 500 <script>alert(1)</script>",
            dead=True,
        ),
        "alert": fail(server, "alert-1", {"site": newsroom.id}, "E" * 200, dead=True),
        "mail": fail(server, "mail-1", {"subscription": 7}, "SMTPServerDisconnected", dead=False),
    }


def row_of(html: str, job_id: int) -> str:
    found = re.search(rf'<tr data-job="{job_id}">(.*?)</tr>', html, re.S)
    assert found, html
    return found.group(1)


def test_an_admin_sees_dead_and_waiting_jobs(
    admin: tuple[httpx.Client, str], failed: dict[str, int]
) -> None:
    client, _ = admin
    answer = client.get(PAGE)
    assert answer.status_code == 200
    html = answer.text
    assert f'href="{PAGE}" aria-current="page"' in html
    dead = html.split('id="dead-jobs"')[1].split("</table>")[0]
    waiting = html.split('id="waiting-jobs"')[1].split("</table>")[0]
    assert f'data-job="{failed["hook"]}"' in dead and f'data-job="{failed["alert"]}"' in dead
    assert f'data-job="{failed["mail"]}"' in waiting and 'data-job="' not in dead.replace(
        f'data-job="{failed["hook"]}"', ""
    ).replace(f'data-job="{failed["alert"]}"', "")
    hook = row_of(html, failed["hook"])
    assert "<code>test.kind</code>" in hook and ">mine<" in hook and ">1<" in hook
    # Escaped, never markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hook and "<script>" not in html
    alert = row_of(html, failed["alert"])
    assert ">mine<" in alert and "E" * 119 + "…" in alert and "E" * 120 not in alert
    mail = row_of(html, failed["mail"])
    assert ">-<" in mail and "SMTPServerDisconnected" in mail
    assert 'data-total="2"' in html and 'data-total="1"' in html
    assert f'action="{PAGE}/retry-dead"' in html


def test_retry_one_dead_job_and_run_a_waiting_one_now(
    server: LiveServer, admin: tuple[httpx.Client, str], failed: dict[str, int]
) -> None:
    client, csrf = admin
    before = states(server)
    answer = client.post(f"{PAGE}/{failed['hook']}/retry", data={"csrf": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == f"{PAGE}?done=retried&n=1"
    after = states(server)
    assert after[failed["hook"]] == (JobState.QUEUED.value, 0)
    assert {k: v for k, v in after.items() if k != failed["hook"]} == {
        k: v for k, v in before.items() if k != failed["hook"]
    }
    page = client.get(answer.headers["location"]).text
    assert "1 job is queued again." in page
    waiting = client.post(f"{PAGE}/{failed['mail']}/retry", data={"csrf": csrf})
    assert waiting.status_code == 303
    queued = SqlJobQueue(server.store.engines).list_jobs(JobState.QUEUED, 10)
    [due] = [r for r in queued if r.id == failed["mail"]]
    assert due.run_after <= utc_now() and due.attempts == 1


def test_retry_all_dead(
    server: LiveServer, admin: tuple[httpx.Client, str], failed: dict[str, int]
) -> None:
    client, csrf = admin
    answer = client.post(f"{PAGE}/retry-dead", data={"csrf": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == f"{PAGE}?done=retried&n=2"
    after = states(server)
    assert after[failed["hook"]] == after[failed["alert"]] == (JobState.QUEUED.value, 0)
    assert after[failed["mail"]] == (JobState.QUEUED.value, 1)  # still waiting, untouched
    page = client.get(answer.headers["location"]).text
    assert "2 jobs are queued again." in page and "No job has failed for good." in page
    again = client.post(f"{PAGE}/retry-dead", data={"csrf": csrf})
    assert again.status_code == 303 and again.headers["location"].endswith("n=0")


def test_a_moderator_gets_403_pages_and_no_link(
    server: LiveServer, newsroom: Any, failed: dict[str, int]
) -> None:
    before = table(server)
    with desk_client(server) as mod:
        csrf = sign_in(mod, "mod")
        assert PAGE not in mod.get("/moderation/mine/queue/pending").text
        page = mod.get(PAGE)
        assert page.status_code == 403 and "<html" in page.text and "admins-only" in page.text
        for path in (f"{PAGE}/{failed['hook']}/retry", f"{PAGE}/retry-dead"):
            answer = mod.post(path, data={"csrf": csrf})
            assert answer.status_code == 403 and "<html" in answer.text
    assert table(server) == before


def test_forged_and_cross_origin_forms_change_nothing(
    server: LiveServer, admin: tuple[httpx.Client, str], failed: dict[str, int]
) -> None:
    client, csrf = admin
    before = table(server)
    for path in (f"{PAGE}/{failed['hook']}/retry", f"{PAGE}/retry-dead"):
        for forged in [None, "", "0" * 64]:
            data = {"other": "x"} if forged is None else {"csrf": forged}
            answer = client.post(path, data=data)
            assert answer.status_code == 403 and "csrf-failed" in answer.text
        cross = client.post(path, data={"csrf": csrf}, headers={"Origin": "https://evil.example"})
        assert cross.status_code == 403
    with server.client(follow_redirects=False) as stranger:
        signed_out = stranger.post(
            f"{PAGE}/retry-dead", data={"csrf": csrf}, headers={"Origin": server.url}
        )
        assert signed_out.status_code == 401
        assert stranger.get(PAGE).headers["location"].startswith("/moderation/login")
    assert table(server) == before


@pytest.mark.parametrize("job", ["999999", "abc", "1e3", "-1", "²", "9" * 30, "%20"])
def test_unknown_and_non_numeric_job_numbers_are_a_readable_404(
    server: LiveServer, admin: tuple[httpx.Client, str], failed: dict[str, int], job: str
) -> None:
    client, csrf = admin
    before = table(server)
    answer = client.post(f"{PAGE}/{job}/retry", data={"csrf": csrf})
    assert answer.status_code == 404 and "<html" in answer.text
    assert "job-not-found" in answer.text and "Traceback" not in answer.text
    assert table(server) == before


def test_a_done_or_running_job_is_not_retried(
    server: LiveServer, admin: tuple[httpx.Client, str], newsroom: Any
) -> None:
    client, csrf = admin
    queue = SqlJobQueue(server.store.engines)
    now = utc_now()
    with server.store.write() as tx:
        tx.enqueue(NewJob("test.kind", {}, "running-1"), now)
    [job] = queue.claim(Claim("test-worker", now, 1, 60, 8))
    before = table(server)
    answer = client.post(f"{PAGE}/{job.id}/retry", data={"csrf": csrf})
    assert answer.status_code == 404 and "job-not-found" in answer.text
    assert table(server) == before


def test_the_page_speaks_french(admin: tuple[httpx.Client, str], failed: dict[str, int]) -> None:
    client, _ = admin
    html = client.get(PAGE, headers={"Accept-Language": "fr"}).text
    assert "Tâches de fond" in html and "Relancer toutes les tâches en échec" in html
    assert "Prochaine tentative" in html and "Background jobs" not in html
