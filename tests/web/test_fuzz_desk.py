"""Fuzzing the moderators' desk: its forms and pages, with a signed-in staff session.

Hypothesis sends the desk's forms (deciding on comments, one or in bulk; lifting a ban; changing
a thread's title and address; adding and changing staff accounts; signing in) and its pages
(queues, one comment, a thread, bans, the audit log) what a careless click, a replayed form or
an attacker might: the session's CSRF token, a wrong one or none; our own origin, a foreign one
or none; decisions, grounds, ban lengths, comment, ban and account ids that exist, do not, or
are not ids at all; another site's comments; CR/LF, markup, SQL wildcards and NUL; oversized
explanations; another media type; more fields than a form has.

Every answer is checked against what the standards promise: never a 5xx (in process, an
exception fails the test); HTML with a readable message on every refusal (never a problem
document or a stack trace); a refusal writes nothing (the rows of every table are counted
before and after); a 303 (or the staff page after adding an account) wrote what it said: the
decided comments have the decision's status and one audit entry each, a thread has the title and
address sent, a ban is lifted and audited, an account exists with the role asked for.

Each test prints how many examples ended how (``-rA`` or ``-s`` shows it) and needs at least one
success and one refusal among them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import and_, func, or_, select

from rostra.domain.desk import ACTION_STATUS, DeskAction, Role
from rostra.domain.models import Site
from rostra.domain.rules import check_title, check_url
from rostra.storage.repository import SqlStore
from rostra.storage.tables import (
    audit_log,
    bans,
    comments,
    jobs,
    metadata,
    sites,
    staff_accounts,
    threads,
)
from tests.conftest import IN_PROCESS_URL, LiveServer
from tests.helpers import PASSWORD, desk_client, sign_in
from tests.helpers import staff_accounts as accounts_of
from tests.process.servers import wait_until

pytestmark = pytest.mark.in_process

HELD: dict[str, Any] = {
    "moderation": {
        "premoderation": "all",
        "rate_limits": {"enabled": False},
        "toxicity": {"enabled": False},
    }
}
FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
EVIL = "https://evil.example"
NASTY = [
    "",
    " ",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "line one\r\nline two",
    "%",
    "_",
    "%_%",
    "' OR '1'='1' --",
    "a\x00b",
    "../../etc/passwd",
    "\u202eevil\u200b",
    "x" * 3000,
]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=60))


def mostly(*good: str) -> st.SearchStrategy[str]:
    """One of ``good`` three times in four, else anything of ``text``."""
    # Not one_of(good, good, good, text): Hypothesis reads repeated branches as one.
    return st.integers(0, 3).flatmap(lambda n: st.sampled_from(good) if n else text)


def segment(*good: str) -> st.SearchStrategy[str]:
    """A path segment: as ``mostly``, but one that routes (not empty, no "/", not a dot
    segment, which the client or the router would resolve), percent-encoded."""
    routable = mostly(*good).filter(lambda s: s and "/" not in s and s not in (".", ".."))
    return routable.map(lambda s: quote(s, safe=""))


# -- the newsroom --------------------------------------------------------------------------------


@dataclass
class Newsroom:
    """Two sites that hold every comment, their held comments, and the desk's two accounts."""

    server: LiveServer
    mine: Site
    theirs: Site
    mine_ids: list[str]
    their_id: str
    boss_id: int
    mod_id: int

    def ids(self) -> list[str]:
        return [*self.mine_ids, self.their_id]


@pytest.fixture
def newsroom(server: LiveServer) -> Newsroom:
    store = server.store
    mine = store.create_site("mine", "Mine", [], HELD)
    theirs = store.create_site("theirs", "Theirs", [], HELD)
    accounts = accounts_of(store)
    mod = accounts.create("mod", PASSWORD, Role.MODERATOR, [mine.id], "Moderator Mo")
    boss = accounts.create("boss", PASSWORD, Role.ADMIN)
    held: list[str] = []
    with server.client() as client:
        for n, (site, extra) in enumerate(
            [("mine", {}), ("mine", {"email": "someone@example.org"}), ("mine", {})] * 2
            + [("theirs", {})]
        ):
            answer = client.post(
                f"/api/v1/sites/{site}/comments",
                json={"thread": "a-1", "body": f"Held comment number {n}.", **extra},
            )
            assert answer.status_code == 202, answer.text
            held.append(answer.json()["comment"]["id"])
    return Newsroom(server, mine, theirs, held[:-1], held[-1], boss.id, mod.id)


@pytest.fixture
def desk(newsroom: Newsroom) -> Iterator[tuple[httpx.Client, str]]:
    """The admin's desk client, signed in, and the session's CSRF token."""
    with desk_client(newsroom.server) as client:
        yield client, sign_in(client, "boss")


# -- what is checked -----------------------------------------------------------------------------


def rows(store: SqlStore) -> dict[str, int]:
    """How many rows each table holds (one query)."""
    counts = (
        select(func.count()).select_from(t).scalar_subquery().label(t.name)
        for t in metadata.sorted_tables
    )
    with store.engines.read.connect() as conn:
        return dict(conn.execute(select(*counts)).one()._mapping)


def jobs_settled(store: SqlStore) -> None:
    """Wait until the server's runner has done every job queued so far: a decision queues its
    learning job (moderation.learn), which files an example after the answer, and a refusal
    checked meanwhile would see that row as its own write."""

    def idle() -> bool:
        due = or_(
            jobs.c.state == "running",
            and_(jobs.c.state == "queued", jobs.c.run_after <= datetime.now(UTC)),
        )
        with store.engines.read.connect() as conn:
            return not conn.execute(select(func.count()).select_from(jobs).where(due)).scalar()

    wait_until(idle, 60, "the desk's jobs to be done")


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in before if after[name] != before[name]}


ALERT = re.compile(r'<p class="desk-error" role="alert"[^>]*>(.*?)</p>', re.S)


def readable_page(answer: httpx.Response) -> str:
    """The answer is a desk page (HTML, no stack trace); its error message, if any."""
    kind = answer.headers.get("content-type", "")
    assert kind.startswith("text/html"), (answer.status_code, kind, answer.text[:300])
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    found = ALERT.search(answer.text)
    return unescape(found.group(1)).strip() if found else ""


def check_refusal(answer: httpx.Response, before: dict[str, int], after: dict[str, int]) -> None:
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert readable_page(answer), ("no message on the refusal", answer.text[:2000])
    assert changed(before, after) == {}, (answer.status_code, changed(before, after))


def human_audit(store: SqlStore) -> int:
    with store.engines.read.connect() as conn:
        query = select(func.count()).where(audit_log.c.actor_id.is_not(None))
        return int(conn.execute(query).scalar() or 0)


@dataclass
class Outcomes:
    """How the examples of one test ended: by status, printed at the end."""

    name: str
    counts: Counter[int] = field(default_factory=Counter)

    def line(self) -> str:
        statuses = "  ".join(f"{k} {self.counts[k]}" for k in sorted(self.counts))
        return f"fuzzed {self.name}: {self.counts.total()} examples: {statuses}"

    def check(self, successes: tuple[int, ...]) -> None:
        print("\n" + self.line())
        assert any(self.counts[s] for s in successes), "no example succeeded: " + self.line()
        assert any(400 <= s < 500 for s in self.counts), "no example was refused: " + self.line()


# What a form says it is: the session's token most of the time; our own origin most of the time.
def csrf_values(real: str) -> st.SearchStrategy[str | None]:
    return st.integers(0, 7).flatmap(lambda n: st.just(real) if n else st.none() | text)


origins = st.sampled_from([IN_PROCESS_URL] * 6 + [EVIL, None])
wrappings = st.sampled_from(["form"] * 8 + ["json", "many"])


def send(
    client: httpx.Client,
    path: str,
    fields: dict[str, Any],
    origin: str | None,
    wrapping: str,
) -> httpx.Response:
    # The desk client sends our origin; a foreign one or none replaces it.
    headers = {"Origin": origin} if origin else {}
    if origin is None:
        client.headers.pop("Origin", None)
    try:
        if wrapping == "json":
            return client.post(path, json=fields, headers=headers)
        if wrapping == "many":
            many = {**fields, **{f"f{n}": "1" for n in range(140)}}
            return client.post(path, data=many, headers=headers)
        return client.post(path, data=fields, headers=headers)
    finally:
        client.headers["Origin"] = IN_PROCESS_URL


def refused_by_the_form(
    fields: dict[str, Any], csrf: str, origin: str | None, wrapping: str
) -> bool:
    """What every desk form refuses before its handler runs (rostra.web.desk.access): another
    site's page (a form that names no origin is refused by its token alone), another media
    type, too many fields, not the session's token."""
    return origin == EVIL or wrapping != "form" or fields.get("csrf") != csrf


def with_csrf(fields: dict[str, Any], token: str | None) -> dict[str, Any]:
    return fields if token is None else {**fields, "csrf": token}


# -- deciding ------------------------------------------------------------------------------------


def test_deciding_on_comments(newsroom: Newsroom, desk: tuple[httpx.Client, str]) -> None:
    client, csrf = desk
    store = newsroom.server.store
    outcomes = Outcomes("POST /moderation/{site}/decide")
    actions = mostly("approve", "reject", "spam", "ban", "approve", "reject", "lift_ban")
    ids = mostly(*newsroom.mine_ids, *newsroom.mine_ids, newsroom.their_id)

    @st.composite
    def decisions(draw: st.DrawFn) -> tuple[str, dict[str, Any], str | None, str]:
        site = draw(segment("mine", "mine", "mine", "theirs", "nosuchsite"))
        fields: dict[str, Any] = {}
        if draw(st.booleans()):
            fields["one"] = f"{draw(actions)}:{draw(ids)}"
        else:
            fields["action"] = draw(actions)
            fields["ids"] = draw(
                st.lists(ids, min_size=draw(st.sampled_from([1, 1, 1, 0])), max_size=3)
            )
        for name, values in (
            ("grounds", mostly("insult", "hate", "spam", "other", "guidelines_met")),
            ("explanation", st.one_of(st.just("Checked by hand."), text)),
            ("ban_days", mostly("permanent", "1", "7", "30", "2", "-1")),
            ("next", mostly("/moderation/mine/queue/all", "//evil.example/", EVIL)),
        ):
            if draw(st.integers(0, 3)):
                fields[name] = draw(values)
        return site, with_csrf(fields, draw(csrf_values(csrf))), draw(origins), draw(wrappings)

    def status_of(public_id: str) -> str | None:
        if public_id not in newsroom.ids():
            return None
        with store.engines.read.connect() as conn:
            found = conn.execute(
                select(comments.c.status).where(comments.c.public_id == public_id)
            ).scalar()
        return None if found is None else str(found)

    @FUZZ
    @example(
        sent=(
            "mine",
            {"csrf": csrf, "one": f"reject:{newsroom.mine_ids[0]}", "grounds": "insult"},
            IN_PROCESS_URL,
            "form",
        )
    )
    @given(sent=decisions())
    def decide(sent: tuple[str, dict[str, Any], str | None, str]) -> None:
        note(repr(sent))
        site, fields, origin, wrapping = sent
        jobs_settled(store)  # what earlier decisions queued
        before, audited = rows(store), human_audit(store)
        answer = send(client, f"/moderation/{site}/decide", fields, origin, wrapping)
        outcomes.counts[answer.status_code] += 1
        after = rows(store)
        if refused_by_the_form(fields, csrf, origin, wrapping):
            assert answer.status_code in (400, 403, 413, 415), answer.status_code
        if answer.status_code == 303:
            location = urlsplit(answer.headers["location"])
            assert location.path.startswith(f"/moderation/{unquote(site)}/")
            assert not location.netloc
            flash = parse_qs(location.query)
            action = DeskAction(flash["done"][0])
            decided = int(flash["n"][0])
            # One audit entry for each comment the decision changed, none for the rest.
            assert human_audit(store) - audited == decided
            one = fields.get("one")
            listed = [one.partition(":")[2]] if one else fields.get("ids", [])
            for public_id in listed:
                assert status_of(public_id) == ACTION_STATUS[action].value, public_id
        else:
            check_refusal(answer, before, after)

    decide()
    outcomes.check((303,))


# -- threads and bans ----------------------------------------------------------------------------


def test_changing_a_thread_and_lifting_a_ban(
    newsroom: Newsroom, desk: tuple[httpx.Client, str]
) -> None:
    client, csrf = desk
    store = newsroom.server.store
    outcomes = Outcomes("POST /moderation/{site}/thread and /bans/{ban}/lift")
    # Two bans to lift: the authors of two held comments.
    for public_id in newsroom.mine_ids[:2]:
        banned = client.post(
            "/moderation/mine/decide",
            data={"csrf": csrf, "one": f"ban:{public_id}", "grounds": "spam", "ban_days": "7"},
        )
        assert banned.status_code == 303, banned.text
    with store.engines.read.connect() as conn:
        ban_ids = [str(b) for b in conn.execute(select(bans.c.id)).scalars()]
    assert ban_ids

    @st.composite
    def changes(draw: st.DrawFn) -> tuple[str, dict[str, Any], str | None, str]:
        site = draw(segment("mine", "theirs", "nosuchsite"))
        if draw(st.booleans()):
            path = f"/moderation/{site}/bans/{draw(segment(*ban_ids, '0', '99'))}/lift"
            fields: dict[str, Any] = {"explanation": draw(st.one_of(st.just("Appealed."), text))}
        else:
            path = f"/moderation/{site}/thread"
            fields = {}
            for name, values in (
                ("thread", mostly("a-1", "no-such-thread")),
                ("title", st.one_of(st.just("A better title"), text)),
                ("url", mostly("https://news.example/a-1", "javascript:alert(1)", "")),
            ):
                if draw(st.integers(0, 4)):
                    fields[name] = draw(values)
        return path, with_csrf(fields, draw(csrf_values(csrf))), draw(origins), draw(wrappings)

    def thread_row(site: str, external_id: str) -> Any:
        with store.engines.read.connect() as conn:
            return conn.execute(
                select(threads)
                .join(sites, sites.c.id == threads.c.site_id)
                .where(sites.c.slug == site, threads.c.external_id == external_id)
            ).one()

    @FUZZ
    @example(
        sent=(
            "/moderation/mine/thread",
            {"csrf": csrf, "thread": "a-1", "title": "Retitled", "url": "https://n.example/1"},
            IN_PROCESS_URL,
            "form",
        )
    )
    @example(
        sent=(f"/moderation/mine/bans/{ban_ids[0]}/lift", {"csrf": csrf}, IN_PROCESS_URL, "form")
    )
    @given(sent=changes())
    def change(sent: tuple[str, dict[str, Any], str | None, str]) -> None:
        note(repr(sent))
        path, fields, origin, wrapping = sent
        jobs_settled(store)
        before, audited = rows(store), human_audit(store)
        answer = send(client, path, fields, origin, wrapping)
        outcomes.counts[answer.status_code] += 1
        after = rows(store)
        if refused_by_the_form(fields, csrf, origin, wrapping):
            assert answer.status_code in (400, 403, 413, 415), answer.status_code
        if answer.status_code == 303 and path.endswith("/lift"):
            assert answer.headers["location"].endswith("/bans?done=lift_ban&n=1")
            assert human_audit(store) - audited == 1
            with store.engines.read.connect() as conn:
                lifted = conn.execute(
                    select(bans.c.lifted_at).where(bans.c.id == int(unquote(path.split("/")[-2])))
                ).scalar()
            assert lifted is not None
        elif answer.status_code == 303:
            assert answer.headers["location"].endswith("&saved=1")
            thread = thread_row(unquote(path.split("/")[2]), fields["thread"])
            if "title" in fields:
                assert thread.title == check_title(fields["title"])
            if "url" in fields:
                assert thread.url == check_url(fields["url"])
            assert human_audit(store) - audited in (0, 1)  # none when nothing changed
        else:
            check_refusal(answer, before, after)

    change()
    outcomes.check((303,))


# -- staff accounts ------------------------------------------------------------------------------


def test_adding_and_changing_staff_accounts(
    newsroom: Newsroom, desk: tuple[httpx.Client, str]
) -> None:
    client, csrf = desk
    store = newsroom.server.store
    outcomes = Outcomes("POST /moderation/staff and /staff/{account}")
    site_ids = [str(newsroom.mine.id), str(newsroom.theirs.id)]
    account_ids = [str(newsroom.mod_id), str(newsroom.boss_id)]

    @st.composite
    def staff_forms(draw: st.DrawFn) -> tuple[str, dict[str, Any], str | None, str]:
        fields: dict[str, Any] = {
            "role": draw(mostly("moderator", "admin", "owner")),
            "sites": draw(st.lists(mostly(*site_ids, "0"), max_size=2)),
        }
        if draw(st.booleans()):
            path = "/moderation/staff"
            fields["username"] = draw(mostly("new.editor", "x", "Bad Name", "mod"))
            fields["display_name"] = draw(text)
        else:
            account = draw(segment(*account_ids, "9999"))
            path = f"/moderation/staff/{account}"
            for name in ("disabled", "reset_password"):
                if draw(st.integers(0, 3)) == 0:
                    fields[name] = draw(mostly("1", ""))
            if account == str(newsroom.boss_id):
                # A new password for oneself ends one's own sessions, this test's among them.
                fields.pop("reset_password", None)
        return path, with_csrf(fields, draw(csrf_values(csrf))), draw(origins), draw(wrappings)

    def account(username: str) -> Any:
        with store.engines.read.connect() as conn:
            return conn.execute(
                select(staff_accounts).where(staff_accounts.c.username == username)
            ).one_or_none()

    @FUZZ
    @example(
        sent=(
            "/moderation/staff",
            {"csrf": csrf, "username": "new.editor", "role": "moderator", "sites": site_ids[:1]},
            IN_PROCESS_URL,
            "form",
        )
    )
    @given(sent=staff_forms())
    def staff(sent: tuple[str, dict[str, Any], str | None, str]) -> None:
        note(repr(sent))
        path, fields, origin, wrapping = sent
        jobs_settled(store)
        before = rows(store)
        answer = send(client, path, fields, origin, wrapping)
        outcomes.counts[answer.status_code] += 1
        after = rows(store)
        if refused_by_the_form(fields, csrf, origin, wrapping):
            assert answer.status_code in (400, 403, 413, 415), answer.status_code
        if answer.status_code == 200:
            readable_page(answer)
            if path == "/moderation/staff":  # added: the page shows the first password once
                made = account(fields["username"].strip().casefold())
                assert made is not None and made.role == fields["role"]
                assert changed(before, after)["staff_accounts"] == 1
            else:  # a new password: the account's sessions end, nothing else is added
                assert fields.get("reset_password")
                assert changed(before, after).get("staff_accounts", 0) == 0
        elif answer.status_code == 303:
            assert answer.headers["location"] == "/moderation/staff?saved=1"
            changed_id = int(unquote(path.rsplit("/", 1)[1]))
            with store.engines.read.connect() as conn:
                row = conn.execute(
                    select(staff_accounts).where(staff_accounts.c.id == changed_id)
                ).one()
            assert row.role == fields["role"]
            assert bool(row.disabled) == (fields.get("disabled") == "1")
            assert changed_id != newsroom.boss_id or (row.role == "admin" and not row.disabled)
        else:
            check_refusal(answer, before, after)

    staff()
    outcomes.check((200, 303))


# -- pages and signing in ------------------------------------------------------------------------


def test_reading_the_desk_and_signing_in(newsroom: Newsroom) -> None:
    store = newsroom.server.store
    outcomes = Outcomes("GET /moderation/... and POST /moderation/login")
    with desk_client(newsroom.server) as client:
        sign_in(client, "mod")
        paths = st.one_of(
            st.builds(
                "/moderation/{}/queue/{}".format,
                segment("mine", "theirs"),
                segment("pending", "reported", "rejected", "all"),
            ),
            st.builds(
                "/moderation/{}/comments/{}".format, segment("mine"), segment(*newsroom.ids())
            ),
            st.sampled_from(["/moderation/mine/thread", "/moderation/mine/bans"]),
            st.sampled_from(["/moderation/mine/audit", "/moderation/", "/moderation/staff"]),
        )
        queries = st.fixed_dictionaries(
            {},
            optional={
                "after": mostly("1", "0", "99999999999999999999"),
                "before": mostly("5", "-5"),
                "thread": mostly("a-1", "nope"),
                "done": mostly("approve", "lift_ban"),
                "n": mostly("1", "12345"),
            },
        )

        @FUZZ
        @given(
            path=paths,
            query=queries,
            login=st.none() | st.tuples(mostly("mod", "boss", "nobody"), text),
        )
        def read(path: str, query: dict[str, str], login: tuple[str, str] | None) -> None:
            note(repr((path, query, login)))
            jobs_settled(store)
            before = rows(store)
            if login is not None:
                # Signing in as someone with a wrong password: refused, nothing stored, and the
                # session of the signed-in moderator goes on.
                username, password = login
                data = {"username": username, "password": password, "next": path}
                answer = client.post("/moderation/login", data=data)
                assert answer.status_code in (401, 429), answer.status_code
                assert readable_page(answer)
                # By design a refused sign-in is counted (and throttled): that, and only that.
                assert set(changed(before, rows(store))) <= {"moderation_counters"}
                jobs_settled(store)
                before = rows(store)
            answer = client.get(path, params=query)
            outcomes.counts[answer.status_code] += 1
            if answer.status_code == 200:
                readable_page(answer)
                # What was typed in the address is shown as text, never as markup.
                assert "<script>alert(1)</script>" not in answer.text
            else:
                check_refusal(answer, before, rows(store))
            assert changed(before, rows(store)) == {}

        read()
    outcomes.check((200,))
