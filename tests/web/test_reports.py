"""Reader reports, on both databases: the JSON API the embed uses and the no-JavaScript report
page, what each refuses (and that a refusal writes nothing), and the moderators' reported queue
that enough reports fill."""

from __future__ import annotations

import json
import re
from html import escape, unescape
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from rostra.domain.desk import REPORT_REASON_LABELS
from rostra.domain.models import CommentStatus, Site
from rostra.services.desk import ModerationDesk
from rostra.storage.tables import comments
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import API, PROBLEM, QUIET, as_reader, new_reader, problem, stored_reports
from tests.helpers import posted as post

# These tests are about reports: the demo site publishes without the classifier (see QUIET).
pytestmark = [pytest.mark.in_process, pytest.mark.usefixtures("quiet")]

THANKS = "Thank you. The moderators will look at it."


def report(http: httpx.Client, comment: str, token: str | None, **body: Any) -> httpx.Response:
    payload = body or {"reason": "abuse"}
    return http.post(f"{API}/comments/{comment}/reports", json=payload, headers=as_reader(token))


def stored(server: LiveServer) -> list[tuple[str, str, str]]:
    return stored_reports(server.store)


def open_reports(server: LiveServer) -> int:
    with server.store.engines.read.connect() as conn:
        total = conn.execute(select(func.coalesce(func.sum(comments.c.open_reports), 0))).scalar()
    return int(total or 0)


def demo(server: LiveServer) -> Site:
    site = server.store.get_site("demo")
    assert site is not None
    return site


def reported_queue(server: LiveServer) -> list[str]:
    page = ModerationDesk(server.store).queue(demo(server), "reported")
    return [item.comment.public_id for item in page.items]


# -- the JSON API -------------------------------------------------------------------------------


def test_a_report_is_recorded_and_the_answer_says_nothing_more(
    server: LiveServer, http: httpx.Client
) -> None:
    comment, _ = post(http, "Something to report")
    reader = new_reader(http)
    r = report(http, comment, reader, reason="spam", note="  Sells watches.\x00 ")
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"reported": True}
    # The embed runs on the newsroom's page: it may read the answer.
    assert r.headers["access-control-allow-origin"] == HOST_ORIGIN
    assert stored(server) == [(comment, "spam", "Sells watches.")]
    # Reported, yet still shown: only a moderator takes it down.
    shown = http.get(f"{API}/comments", params={"thread": "t1"}).json()["comments"]
    assert [c["id"] for c in shown] == [comment]


def test_the_third_report_sends_the_comment_to_the_reported_queue(
    server: LiveServer, http: httpx.Client
) -> None:
    comment, _ = post(http, "Three readers will report this")
    other, _ = post(http, "And this one only once")
    assert report(http, other, new_reader(http)).status_code == 201
    answers = []
    for n in range(3):
        assert reported_queue(server) == [], n
        r = report(http, comment, new_reader(http), reason="hate")
        answers.append((r.status_code, r.json()))
    # Every report gets the same answer, so nobody can tell when the threshold was reached.
    assert answers == [(201, {"reported": True})] * 3
    assert reported_queue(server) == [comment]
    page = ModerationDesk(server.store).queue(demo(server), "reported")
    assert page.items[0].report_reasons == {"hate": 3}


def test_the_threshold_is_set_per_site(server: LiveServer, http: httpx.Client) -> None:
    comment, _ = post(http, "One report is enough here")
    server.store.update_site("demo", None, {"moderation": {"reports": {"threshold": 1}}})
    assert reported_queue(server) == []
    assert report(http, comment, new_reader(http)).status_code == 201
    assert reported_queue(server) == [comment]


def test_the_same_reader_reports_a_comment_once(server: LiveServer, http: httpx.Client) -> None:
    comment, _ = post(http, "Reported twice by one reader")
    reader = new_reader(http)
    assert report(http, comment, reader).status_code == 201
    again = report(http, comment, reader, reason="spam", note="Really.")
    problem(again, 409, "already-reported")
    assert again.headers["access-control-allow-origin"] == HOST_ORIGIN  # the embed reads why
    assert again.json()["detail"] == "You already reported this comment."
    assert stored(server) == [(comment, "abuse", "")]
    assert open_reports(server) == 1


def test_a_reader_cannot_report_their_own_comment(server: LiveServer, http: httpx.Client) -> None:
    comment, author = post(http, "My own words")
    r = report(http, comment, author)
    problem(r, 403, "own-comment")
    assert r.json()["detail"] == "You cannot report your own comment."
    assert stored(server) == []


def test_reporting_needs_a_valid_reader_token(server: LiveServer, http: httpx.Client) -> None:
    comment, _ = post(http, "Reported without a token")
    problem(report(http, comment, None), 401, "token-missing")
    forged = report(http, comment, "not-a-token")
    assert forged.status_code == 401 and forged.headers["content-type"].startswith(PROBLEM)
    assert stored(server) == []


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"reason": "boring"}, 422, "invalid-body"),
        ({"reason": "abuse", "note": "n" * 501}, 422, "invalid-body"),
        ({"reason": 1}, 422, "invalid-body"),
        ({"reason": "abuse", "note": 5}, 422, "invalid-body"),
        ({"reason": "abuse", "note": None}, 422, "invalid-body"),
        ({"note": "no reason"}, 422, "invalid-body"),
        ({"reason": "abuse", "count": 3}, 422, "invalid-body"),
        (["abuse"], 422, "invalid-body"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_written(
    server: LiveServer, http: httpx.Client, payload: Any, status: int, code: str
) -> None:
    comment, _ = post(http, "Reported badly")
    reader = new_reader(http)
    r = http.post(
        f"{API}/comments/{comment}/reports", json=payload, headers={"X-Rostra-Reader": reader}
    )
    problem(r, status, code)
    assert stored(server) == [] and open_reports(server) == 0


def test_malformed_requests_are_refused_and_nothing_is_written(
    server: LiveServer, http: httpx.Client
) -> None:
    comment, _ = post(http, "Reported with a broken request")
    reader = new_reader(http)
    url = f"{API}/comments/{comment}/reports"
    json_headers = {"X-Rostra-Reader": reader, "Content-Type": "application/json"}
    problem(http.post(url, content=b'{"reason": ', headers=json_headers), 400, "invalid-json")
    problem(
        http.post(url, content=b'{"reason": "\xff"}', headers=json_headers), 400, "invalid-utf8"
    )
    plain = {"X-Rostra-Reader": reader, "Content-Type": "text/plain"}
    problem(
        http.post(url, content=b'{"reason": "abuse"}', headers=plain),
        415,
        "unsupported-media-type",
    )
    assert stored(server) == [] and open_reports(server) == 0


def test_a_page_the_site_does_not_allow_cannot_report(
    server: LiveServer, http: httpx.Client
) -> None:
    comment, _ = post(http, "Reported from elsewhere")
    reader = new_reader(http)
    r = http.post(
        f"{API}/comments/{comment}/reports",
        json={"reason": "abuse"},
        headers={"X-Rostra-Reader": reader, "Origin": "https://evil.example"},
    )
    problem(r, 403, "origin-not-allowed")
    assert "access-control-allow-origin" not in r.headers
    assert stored(server) == []


def test_only_published_comments_of_this_site_can_be_reported(
    server: LiveServer, http: httpx.Client
) -> None:
    reader = new_reader(http)
    problem(report(http, "nope", reader), 404, "comment-not-found")
    problem(report(http, "bad%20id", reader), 404, "comment-not-found")
    problem(report(http, "x" * 33, reader), 404, "comment-not-found")

    # Another site's comment is not found under this site's name (nor with its reader).
    server.store.create_site("other", "Other", [HOST_ORIGIN], QUIET)
    r = http.post("/api/v1/sites/other/comments", json={"thread": "t1", "body": "Elsewhere"})
    assert r.status_code == 201, r.text
    theirs = r.json()["comment"]["id"]
    problem(report(http, theirs, reader), 404, "comment-not-found")

    # A deleted comment is gone; a held one is already with the moderators.
    gone, author = post(http, "Soon deleted")
    deleted = http.delete(f"{API}/comments/{gone}", headers=as_reader(author))
    assert deleted.status_code == 200, deleted.text
    problem(report(http, gone, reader), 404, "comment-not-found")
    held, _ = post(http, "Soon held")
    with server.store.write() as tx:
        found = tx.get_comment(demo(server).id, held)
        assert found is not None
        tx.set_status(found, CommentStatus.PENDING)
    problem(report(http, held, reader), 409, "not-published")

    problem(
        http.post("/api/v1/sites/nosuchsite/comments/abc/reports", json={"reason": "abuse"}),
        404,
        "site-not-found",
    )
    assert stored(server) == [] and open_reports(server) == 0


def test_the_embed_gets_the_reasons_in_the_readers_language(http: httpx.Client) -> None:
    """The thread fragment carries the reasons the embed offers: every reason, labelled."""
    r = http.get("/embed/demo/thread", params={"thread": "t1", "lang": "en"})
    assert r.status_code == 200, r.text
    found = re.search(r"data-rostra-i18n='([^']*)'", r.text)
    assert found is not None
    strings = json.loads(unescape(found.group(1)))
    # In the order the domain lists them (a list: JSON objects lose their order).
    assert strings["reasons"] == [[k.value, v] for k, v in REPORT_REASON_LABELS.items()]
    assert strings["thanks"] == THANKS


# -- without JavaScript -------------------------------------------------------------------------


def report_link(page_html: str, comment: str) -> str:
    """The href of a comment's Report link on a thread page."""
    found = re.search(
        rf'<a class="rostra-report" href="([^"]*)" data-report="{comment}"'
        r' aria-label="Report the comment by [^"]+">Report</a>',
        page_html,
    )
    assert found is not None, page_html
    return unescape(found.group(1))


def test_without_javascript_a_reader_reports_from_the_thread_page(
    server: LiveServer, http: httpx.Client
) -> None:
    comment, _ = post(http, "Reported *without* JavaScript")
    thread_page = http.get("/t/demo", params={"thread": "t1"})
    assert thread_page.status_code == 200
    link = report_link(thread_page.text, comment)
    assert link == f"{server.url}/t/demo/report?thread=t1&comment={comment}&lang=en"

    form = http.get(link)
    assert form.status_code == 200, form.text
    assert form.headers["content-type"].startswith("text/html")
    page = form.text
    assert "<title>Report a comment</title>" in page
    assert "Reported <em>without</em> JavaScript" in page  # what is being reported
    assert 'action="' + escape(f"{server.url}/t/demo/report?lang=en") + '"' in page
    assert f'<input type="hidden" name="comment" value="{comment}">' in page
    assert "<legend>Why are you reporting this comment?</legend>" in page
    for reason, label in REPORT_REASON_LABELS.items():
        assert f'name="reason" value="{reason.value}" required> {label}</label>' in page
    assert 'name="note" rows="3" maxlength="500"' in page
    assert '<button type="submit" class="rostra-submit">Send report</button>' in page

    assert not http.cookies  # a first-time reader
    sent = http.post(
        "/t/demo/report?lang=en",
        data={"comment": comment, "reason": "threat", "note": "Line one\r\nline two"},
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == "/t/demo/report?thread=t1&lang=en&sent=1#rostra-form"
    cookie = sent.headers["set-cookie"]
    assert cookie.startswith(f"rostra_reader_{demo(server).id}=")
    assert "HttpOnly" in cookie and "Path=/t/demo" in cookie and "SameSite=lax" in cookie
    assert stored(server) == [(comment, "threat", "Line one\nline two")]

    back = http.get(sent.headers["location"])
    assert back.status_code == 200
    assert f'<p class="rostra-notice" role="status">{THANKS}</p>' in back.text
    assert f'id="c-{comment}"' in back.text  # the thread, with the comment still in it

    # The same reader (the cookie) cannot report it again; the page says so, without the form.
    again = http.post("/t/demo/report", data={"comment": comment, "reason": "spam"})
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("text/html")
    assert "You already reported this comment." in again.text
    assert 'role="alert"' in again.text and "rostra-reporter" not in again.text
    assert f'href="{server.url}/t/demo?thread=t1&amp;lang=en#c-{comment}"' in again.text
    assert stored(server) == [(comment, "threat", "Line one\nline two")]


def test_without_javascript_mistakes_come_back_in_the_form(
    server: LiveServer, http: httpx.Client
) -> None:
    comment, _ = post(http, "Reported with mistakes")
    r = http.post("/t/demo/report", data={"comment": comment, "reason": "boring", "note": "Hm"})
    assert r.status_code == 422
    assert "Choose one of the offered reasons for the report." in r.text
    assert '<fieldset aria-describedby="rostra-report-error">' in r.text
    assert ">Hm</textarea>" in r.text  # what was typed is kept

    r = http.post("/t/demo/report", data={"comment": comment, "reason": "spam", "note": "n" * 501})
    assert r.status_code == 422
    assert "The note is too long (at most 500 characters)." in r.text
    assert 'aria-invalid="true" aria-describedby="rostra-report-error"' in r.text
    assert 'value="spam" required checked>' in r.text

    r = http.post("/t/demo/report", data={"comment": comment})
    assert r.status_code == 422 and "rostra-reporter" in r.text

    for missing in ("", "nope", "x" * 40):
        r = http.post("/t/demo/report", data={"comment": missing, "reason": "spam"})
        assert r.status_code == 404
        assert "This comment does not exist." in r.text and "rostra-reporter" not in r.text
        r = http.get("/t/demo/report", params={"comment": missing, "thread": "t1"})
        assert r.status_code == 404 and "This comment does not exist." in r.text
    # A thread that is not the comment's own names no comment to report.
    r = http.get("/t/demo/report", params={"comment": comment, "thread": "t2"})
    assert r.status_code == 404
    assert stored(server) == [] and open_reports(server) == 0


def test_without_javascript_own_comments_and_foreign_pages_are_refused(
    server: LiveServer, http: httpx.Client
) -> None:
    posted = http.post("/t/demo/post", data={"thread": "t1", "body": "My own, without JS"})
    assert posted.status_code == 303, posted.text
    mine = posted.headers["location"].rsplit("#c-", 1)[1]
    r = http.post("/t/demo/report", data={"comment": mine, "reason": "spam"})
    assert r.status_code == 403
    assert "You cannot report your own comment." in r.text

    other, _ = post(http, "Someone else's")
    r = http.post(
        "/t/demo/report",
        data={"comment": other, "reason": "spam"},
        headers={"Origin": "https://evil.example"},
    )
    # A page for the person who pressed the button, not a problem document.
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "Pages at https://evil.example may not post to this site." in r.text
    assert stored(server) == [] and open_reports(server) == 0
