"""Fuzzing the reader's HTML: the no-JavaScript thread page and its forms, and the embed fragment.

Hypothesis sends the standalone page (``/t/<site>?thread=...``), the embed's fragment
(``/embed/<site>/thread``) and the forms a reader without JavaScript uses (a new comment, a
reply, a vote, a report, and the report page) what a browser, a script or an attacker might:
fields missing, oversized, of the wrong kind, repeated; CR/LF, HTML and script, SQL wildcards
and NUL; another media type, bytes that are not UTF-8, too many fields; an allowed origin, the
server's own, none, a foreign one and ``null``. Edits and deletions have no no-JS form (the
embed adds them, see _comment_macro.html): the OpenAPI fuzz test covers them.

Every answer is checked against what the standards promise:

- never a 5xx (in process, an exception in the app fails the test outright);
- a page for a person: HTML (never problem+json), with a readable message on every refusal;
  the embed's fragment, which its script reads, answers a refusal with a problem document;
- a refusal writes nothing: the rows of every table are counted before and after;
- a success wrote what it said: a 303 after posting names the comment it stored, published, in
  its thread, with the text as sent; a 202 stored it held; a vote or a report is in the table.

One write is refused on purpose and kept: a comment the moderation checks reject is answered 422
and stored as rejected, with its audit entry, for the moderators' Rejected queue and the audit
log (docs/moderation.md; ``CommentRejected`` in rostra.services.posting). The test asserts that
design: after a 422 either nothing changed, or exactly that rejected comment was stored.

The site has no rate limits (nor report limits), so writes reach their success and not a 429.
Each test prints how many examples ended how (``-rA`` or ``-s`` shows it) and needs at least one
success and one refusal among them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from rostra.domain.models import CommentStatus
from rostra.domain.rules import clean_text, encode_cursor
from rostra.services.reports import ReportLimits
from rostra.storage.repository import SqlStore
from rostra.storage.tables import audit_log, comments, jobs, metadata, reports, votes
from rostra.web.pages.threads import VOTE_VALUES
from tests.conftest import HOST_ORIGIN, IN_PROCESS_URL, LiveServer
from tests.helpers import API, PROBLEM

pytestmark = pytest.mark.in_process

REJECTED_WORD = "grumbleweed"  # on the site's reject list: such a comment is refused, and kept
SUSPECT_WORD = "mumbleberry"  # on its suspect list: held for the moderators
OPEN: dict[str, Any] = {
    "moderation": {
        "rate_limits": {"enabled": False},
        "toxicity": {"enabled": False},
        "word_lists": {"reject": [REJECTED_WORD], "suspect": [SUSPECT_WORD]},
    }
}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
EVIL = "https://evil.example"
FORM = "application/x-www-form-urlencoded"

# -- what is sent --------------------------------------------------------------------------------

NASTY = [
    "",
    " ",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "line one\r\nline two",
    "\r\n\r\nSet-Cookie: x=1",
    "%",
    "_",
    "%_%",
    "' OR '1'='1' --",
    "a\x00b",
    "../../etc/passwd",
    "t1#frag?x=1&y=2",
    "\u202eevil\u200b",
    "x" * 600,
    "y" * 12_000,
    REJECTED_WORD,
    f"What a {SUSPECT_WORD} this is.",
]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=80))


def mostly(*good: str) -> st.SearchStrategy[str]:
    """One of ``good`` three times in four, else anything of ``text``."""
    # Not one_of(good, good, good, text): Hypothesis reads repeated branches as one.
    return st.integers(0, 3).flatmap(lambda n: st.sampled_from(good) if n else text)


# Where a form says it comes from: Origin (an allowed one, the server's own, none, a foreign one,
# "null", which names none), and for a request that names none, Sec-Fetch-Site.
origins = st.one_of(
    st.sampled_from([HOST_ORIGIN, IN_PROCESS_URL, EVIL]).map(lambda o: {"Origin": o}),
    st.fixed_dictionaries(
        {},
        optional={
            "Origin": st.just("null"),
            "Sec-Fetch-Site": st.sampled_from(["none", "same-origin", "same-site", "cross-site"]),
        },
    ),
)


def refused_origin(headers: dict[str, str]) -> bool:
    """What rostra.web.security.check_write_origin refuses: a foreign origin; or, when none is
    named, a request the browser says came from another site."""
    if headers.get("Origin", "null") != "null":
        return headers["Origin"] == EVIL
    return headers.get("Sec-Fetch-Site") not in (None, "none", "same-origin")


@dataclass
class Seeded:
    """The thread "t1" as the fuzzing starts: two published comments and one held."""

    root: str
    reply: str
    held: str

    def ids(self) -> list[str]:
        return [self.root, self.reply, self.held]


@dataclass
class Outcomes:
    """How the examples of one test ended: by status, printed at the end."""

    name: str
    counts: Counter[int] = field(default_factory=Counter)
    kept: int = 0  # refused 422 by the moderation checks, and kept as rejected

    def line(self) -> str:
        statuses = "  ".join(f"{k} {self.counts[k]}" for k in sorted(self.counts))
        kept = f" (of the 422s, {self.kept} kept as rejected)" if self.kept else ""
        return f"fuzzed {self.name}: {self.counts.total()} examples: {statuses}{kept}"

    def check(self, successes: tuple[int, ...]) -> None:
        print("\n" + self.line())
        assert any(self.counts[s] for s in successes), "no example succeeded: " + self.line()
        assert any(400 <= s < 500 for s in self.counts), "no example was refused: " + self.line()


@pytest.fixture
def site(server: LiveServer) -> Iterator[tuple[LiveServer, Seeded]]:
    server.store.update_site("demo", None, OPEN)
    server.app.app.ctx.reports.limits = ReportLimits(per_reader_hour=0, per_address_hour=0)
    with server.client() as c:
        root = c.post(f"{API}/comments", json={"thread": "t1", "body": "The first comment."})
        reply = c.post(
            f"{API}/comments",
            json={"thread": "t1", "body": "A reply to it.", "parent": root.json()["comment"]["id"]},
        )
        held = c.post(f"{API}/comments", json={"thread": "t1", "body": f"A {SUSPECT_WORD}."})
    assert (root.status_code, reply.status_code, held.status_code) == (201, 201, 202)
    yield server, Seeded(*(r.json()["comment"]["id"] for r in (root, reply, held)))


# -- what is checked -----------------------------------------------------------------------------


def rows(store: SqlStore) -> dict[str, int]:
    """How many rows each table holds (one query)."""
    query = select(
        *(
            select(func.count()).select_from(t).scalar_subquery().label(t.name)
            for t in metadata.sorted_tables
        )
    )
    with store.engines.read.connect() as conn:
        return dict(conn.execute(query).one()._mapping)


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


def newest_comment(store: SqlStore) -> Any:
    with store.engines.read.connect() as conn:
        return conn.execute(select(comments).order_by(comments.c.id.desc()).limit(1)).one()


ALERT = re.compile(r'<p class="rostra-error"[^>]*role="alert">(.*?)</p>', re.S)


def readable_page(answer: httpx.Response) -> str:
    """The answer is a page for a person (HTML, no stack trace); its error message, if any."""
    kind = answer.headers.get("content-type", "")
    assert kind.startswith("text/html"), (answer.status_code, kind, answer.text[:300])
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    found = ALERT.search(answer.text)
    return unescape(found.group(1)).strip() if found else ""


def check_refusal(answer: httpx.Response, before: dict[str, int], after: dict[str, int]) -> None:
    assert 400 <= answer.status_code < 500, answer.text[:300]
    assert readable_page(answer), ("no message on the refusal", answer.text[:2000])
    assert changed(before, after) == {}, (answer.status_code, changed(before, after))


def send(
    client: httpx.Client,
    path: str,
    fields: dict[str, str],
    headers: dict[str, str],
    wrapping: str,
) -> httpx.Response:
    """POST ``fields`` to ``path`` as a browser's form, or wrapped the ways a form is not."""
    if wrapping == "json":
        return client.post(path, json=fields, headers=headers)
    if wrapping == "multipart":
        return client.post(path, files={k: (None, v) for k, v in fields.items()}, headers=headers)
    if wrapping == "latin-1":
        raw = "&".join(f"{k}={v}" for k, v in fields.items()).encode("latin-1", "replace")
        return client.post(
            path, content=raw + b"&x=\xe9", headers={**headers, "content-type": FORM}
        )
    if wrapping == "many":
        many = {**fields, **{f"f{n}": "1" for n in range(25)}}
        return client.post(path, data=many, headers=headers)
    if wrapping == "none":
        return client.post(path, content=b"", headers=headers)
    return client.post(path, data=fields, headers=headers)


wrappings = st.sampled_from(["form"] * 8 + ["json", "multipart", "latin-1", "many", "none"])


def fields_of(
    draw: st.DrawFn, names: dict[str, st.SearchStrategy[str]], required: tuple[str, ...]
) -> dict[str, str]:
    """Some of ``names``' fields: a ``required`` one is missing one time in ten, another one time
    in two; and sometimes one field more, of no meaning here."""
    out = {
        name: draw(values)
        for name, values in names.items()
        if draw(st.integers(0, 9)) > (0 if name in required else 4)
    }
    if draw(st.integers(0, 3)) == 0:
        out[draw(st.sampled_from(["nudge", "site", "id", "status", "x"]))] = draw(text)
    return out


# -- the thread page and the fragment ------------------------------------------------------------


def test_reading_the_page_and_the_fragment(site: tuple[LiveServer, Seeded]) -> None:
    server, seeded = site
    outcomes = Outcomes("GET /t/{site} and /embed/{site}/thread")
    queries = st.fixed_dictionaries(
        {},
        optional={
            "thread": mostly("t1"),
            "sort": mostly("oldest", "newest", "votes"),
            "cursor": mostly("", encode_cursor(seeded.root)),
            "limit": mostly("1", "10", "0", "-1", "9" * 30),
            "all": mostly("1", "0"),
            "reply": mostly(*seeded.ids()),
            "lang": mostly("en", "fr", "de"),
        },
    )

    @FUZZ
    @example(path="/t/demo", query={"thread": "t1"})
    @given(
        path=st.sampled_from(["/t/demo", "/embed/demo/thread"] * 3 + ["/t/nosuchsite", "/t/%25"]),
        query=queries,
    )
    def read(path: str, query: dict[str, str]) -> None:
        note(repr((path, query)))
        before = rows(server.store)
        with server.client(headers={"Origin": HOST_ORIGIN}) as client:
            answer = client.get(path, params=query)
        outcomes.counts[answer.status_code] += 1
        after = rows(server.store)
        if answer.status_code >= 400 and path.startswith("/embed/"):
            # The fragment is read by the embed's script: a refusal is a problem document, whose
            # detail the reader is shown (tests/web/test_edge_security.py checks the same).
            assert answer.headers["content-type"] == PROBLEM, answer.text[:300]
            assert 400 <= answer.status_code < 500 and answer.json()["detail"]
            assert changed(before, after) == {}
        elif answer.status_code == 200:
            readable_page(answer)
            assert changed(before, after) == {}
            # What a reader typed in the query is shown as text, never as markup.
            assert "<script>alert(1)</script>" not in answer.text
            assert "<img src=x onerror" not in answer.text
        else:
            check_refusal(answer, before, after)

    read()
    outcomes.check((200,))


# -- the comment form ----------------------------------------------------------------------------


def test_the_comment_form(site: tuple[LiveServer, Seeded]) -> None:
    server, seeded = site
    outcomes = Outcomes("POST /t/{site}/post")

    @st.composite
    def posts(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str], str]:
        sensible = st.sampled_from(
            [
                "A thought on the article.",
                "Second point.\r\nWith lines.",
                f"A {SUSPECT_WORD}?",
                f"You {REJECTED_WORD}!",
            ]
        )
        fields = fields_of(
            draw,
            {
                "thread": mostly("t1", "t1", "t2", "new/one"),
                "body": st.one_of(sensible, sensible, text),
                "author": text,
                "email": mostly("reader@example.org", ""),
                "parent": mostly(*seeded.ids()),
                "confirm": st.sampled_from(["1", "0", "yes"]),
            },
            ("thread", "body"),
        )
        return fields, draw(origins), draw(wrappings)

    @FUZZ
    # Besides what Hypothesis makes up: one comment published, one held, one rejected.
    @example(sent=({"thread": "t1", "body": "Plainly said."}, {"Origin": HOST_ORIGIN}, "form"))
    @example(sent=({"thread": "t1", "body": f"A {SUSPECT_WORD}."}, {}, "form"))
    @example(sent=({"thread": "t1", "body": f"A {REJECTED_WORD}."}, {}, "form"))
    @given(sent=posts())
    def post(sent: tuple[dict[str, str], dict[str, str], str]) -> None:
        note(repr(sent))
        fields, origin, wrapping = sent
        before = rows(server.store)
        with server.client() as client:
            answer = send(client, "/t/demo/post", fields, origin, wrapping)
        outcomes.counts[answer.status_code] += 1
        after = rows(server.store)
        if refused_origin(origin):
            assert answer.status_code == 403
        if answer.status_code == 303:
            stored = newest_comment(server.store)
            assert changed(before, after)["comments"] == 1
            assert stored.status == CommentStatus.PUBLISHED.value
            assert stored.body == clean_text(fields["body"]).strip()
            assert answer.headers["location"].endswith(f"#c-{stored.public_id}")
        elif answer.status_code == 202:
            readable_page(answer)
            stored = newest_comment(server.store)
            assert changed(before, after)["comments"] == 1
            assert stored.status == CommentStatus.PENDING.value
            assert stored.body == clean_text(fields["body"]).strip()
        elif answer.status_code == 422 and changed(before, after):
            # Rejected by the moderation checks: stored as rejected, and audited, by design.
            outcomes.kept += 1
            assert readable_page(answer)
            stored = newest_comment(server.store)
            assert changed(before, after)["comments"] == 1
            assert stored.status == CommentStatus.REJECTED.value
            assert REJECTED_WORD in stored.body.lower()
            with server.store.engines.read.connect() as conn:
                audited = conn.execute(
                    select(audit_log.c.action).where(audit_log.c.comment_id == stored.id)
                ).scalars()
                assert list(audited) == ["auto_reject"]
        else:
            check_refusal(answer, before, after)

    post()
    outcomes.check((303,))
    assert outcomes.counts[202], "no example was held: " + outcomes.line()
    assert outcomes.kept, "no example was rejected by the checks: " + outcomes.line()


# -- votes ---------------------------------------------------------------------------------------


def test_the_vote_buttons(site: tuple[LiveServer, Seeded]) -> None:
    server, seeded = site
    outcomes = Outcomes("POST /t/{site}/vote")
    demo = server.store.get_site("demo")
    assert demo is not None
    tokens = server.app.app.ctx.tokens
    token = tokens.issue(demo.id)
    voter = tokens.verify(token, demo.id).reader_key
    cookie = f"rostra_reader_{demo.id}"

    def vote_of(comment: str) -> int | None:
        if comment not in seeded.ids():
            return None  # no vote (and PostgreSQL would refuse a NUL in the query)
        with server.store.engines.read.connect() as conn:
            value = conn.execute(
                select(votes.c.value)
                .join(comments, comments.c.id == votes.c.comment_id)
                .where(comments.c.public_id == comment, votes.c.voter_key == voter)
            ).scalar()
        return None if value is None else int(value)

    @st.composite
    def votes_sent(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str], str, bool]:
        fields = fields_of(
            draw,
            {
                "comment": mostly(*seeded.ids()),
                "value": mostly("1", "-1", "0"),
            },
            ("comment", "value"),
        )
        return fields, draw(origins), draw(wrappings), draw(st.booleans())

    @FUZZ
    @example(sent=({"comment": seeded.root, "value": "1"}, {"Origin": HOST_ORIGIN}, "form", True))
    @given(sent=votes_sent())
    def vote(sent: tuple[dict[str, str], dict[str, str], str, bool]) -> None:
        note(repr(sent))
        fields, origin, wrapping, known = sent
        comment = fields.get("comment", "")
        mine = vote_of(comment) if known else None
        before = rows(server.store)
        cookies = {cookie: token} if known else {}
        with server.client(cookies=cookies) as client:
            answer = send(client, "/t/demo/vote", fields, origin, wrapping)
        outcomes.counts[answer.status_code] += 1
        after = rows(server.store)
        if refused_origin(origin):
            assert answer.status_code == 403
        if answer.status_code == 303:
            assert answer.headers["location"].endswith(f"#c-{comment}")
            value = fields.get("value", "")
            assert value in VOTE_VALUES  # any other value is refused (422), not read as 0
            number = int(value)
            if known:
                # The same button again takes the vote back; no vote is no row.
                expected = 0 if (mine or 0) == number else number
                assert (vote_of(comment) or 0) == expected
            else:
                assert changed(before, after).get("votes", 0) == (1 if number else 0)
        else:
            check_refusal(answer, before, after)

    vote()
    outcomes.check((303,))


# -- reports -------------------------------------------------------------------------------------


def test_the_report_page_and_form(site: tuple[LiveServer, Seeded]) -> None:
    server, seeded = site
    outcomes = Outcomes("GET and POST /t/{site}/report")

    @st.composite
    def reports_sent(draw: st.DrawFn) -> tuple[str, dict[str, str], dict[str, str], str]:
        method = draw(st.sampled_from(["GET", "POST", "POST"]))
        fields = fields_of(
            draw,
            {
                "comment": mostly(*seeded.ids()),
                "reason": mostly("spam", "abuse", "hate", "off_topic", "other"),
                "note": text,
                "thread": mostly("t1", "t2"),
                "sent": st.sampled_from(["1", "0"]),
            },
            ("comment", "reason"),
        )
        return method, fields, draw(origins), draw(wrappings)

    @FUZZ
    @example(sent=("POST", {"comment": seeded.reply, "reason": "spam"}, {}, "form"))
    @given(sent=reports_sent())
    def report(sent: tuple[str, dict[str, str], dict[str, str], str]) -> None:
        note(repr(sent))
        method, fields, origin, wrapping = sent
        before = rows(server.store)
        # Each example a new reader (no cookie), so a report is never refused as a repeat only.
        with server.client() as client:
            if method == "GET":
                answer = client.get("/t/demo/report", params=fields)
            else:
                answer = send(client, "/t/demo/report", fields, origin, wrapping)
        outcomes.counts[answer.status_code] += 1
        after = rows(server.store)
        if method == "POST" and refused_origin(origin):
            assert answer.status_code == 403
        if answer.status_code == 303:
            assert method == "POST"
            # The report, and the one moderator alert the report that reaches the threshold
            # causes, in its transaction (a job: issue 10).
            wrote = changed(before, after)
            assert wrote.pop("reports") == 1
            assert wrote in ({}, {"jobs": 1}), wrote
            if wrote:
                with server.store.engines.read.connect() as conn:
                    kind = conn.execute(select(jobs.c.kind).order_by(jobs.c.id.desc())).first()
                assert kind is not None and kind[0] == "desk.alert"
            with server.store.engines.read.connect() as conn:
                last = conn.execute(select(reports).order_by(reports.c.id.desc()).limit(1)).one()
                reported = conn.execute(
                    select(comments.c.public_id).where(comments.c.id == last.comment_id)
                ).scalar()
            assert reported == fields["comment"]
            assert last.reason == fields["reason"]
            location = urlsplit(answer.headers["location"])
            assert parse_qs(location.query)["sent"] == ["1"]
        elif answer.status_code == 200:
            assert method == "GET"
            readable_page(answer)
            assert changed(before, after) == {}
        else:
            check_refusal(answer, before, after)

    report()
    outcomes.check((303,))


# -- what the fuzzing found ----------------------------------------------------------------------


def test_a_refused_vote_is_a_page_with_the_reason_and_the_way_back(
    site: tuple[LiveServer, Seeded],
) -> None:
    """It was a problem document (JSON) on a page a person reads."""
    server, _ = site
    with server.client(headers={"Origin": HOST_ORIGIN}) as client:
        posted = client.post("/t/demo/post", data={"thread": "t1", "body": "Mine, no script."})
        assert posted.status_code == 303  # and the reader's cookie is set
        mine = posted.headers["location"].rsplit("#c-", 1)[1]
        before = rows(server.store)
        own = client.post("/t/demo/vote", data={"comment": mine, "value": "1"})
        assert own.status_code == 403
        assert readable_page(own) == "You cannot vote on your own comment."
        assert f'href="{IN_PROCESS_URL}/t/demo?thread=t1&amp;lang=en#c-{mine}"' in own.text
        missing = client.post("/t/demo/vote", data={"comment": "nosuchcomment", "value": "1"})
        assert missing.status_code == 404
        assert readable_page(missing) == "This comment does not exist."
        as_json = client.post("/t/demo/vote", json={"comment": mine, "value": "1"})
        assert as_json.status_code == 415 and readable_page(as_json)
        assert changed(before, rows(server.store)) == {}


def test_a_foreign_page_or_an_unknown_site_gets_a_page_not_a_problem_document(
    site: tuple[LiveServer, Seeded],
) -> None:
    server, seeded = site
    before = rows(server.store)
    with server.client(headers={"Origin": EVIL}) as client:
        for path, data in (
            ("/t/demo/post", {"thread": "t1", "body": "From elsewhere."}),
            ("/t/demo/vote", {"comment": seeded.root, "value": "1"}),
            ("/t/demo/report", {"comment": seeded.root, "reason": "spam"}),
        ):
            answer = client.post(path, data=data)
            assert answer.status_code == 403, path
            assert readable_page(answer) == f"Pages at {EVIL} may not post to this site."
            # Framed as the site's own pages may be, and never cached.
            assert answer.headers["cache-control"] == "no-store"
            assert (
                answer.headers["content-security-policy"] == f"frame-ancestors 'self' {HOST_ORIGIN}"
            )
    with server.client() as client:
        for answer in (
            client.get("/t/nosuchsite", params={"thread": "t1"}),
            client.post("/t/nosuchsite/post", data={"thread": "t1", "body": "Hello?"}),
        ):
            assert answer.status_code == 404
            assert readable_page(answer) == "There is no site called nosuchsite."
            assert answer.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert changed(before, rows(server.store)) == {}
