"""Learning from the desk end to end (SQLite and PostgreSQL): a moderator's decision on the desk
enqueues ``moderation.learn`` in its transaction, the job files the example under the comment's
own site (signature, label, toxicity; never the text), and the site's next near-repeat is
moderated with it while another site's is not. Bad memories (corrupted rows, a missing table)
leave the shared model in charge. Scores come from the test classifier of
tests/moderation/test_learning.py (holds "kill" and "poison" at 0.7).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text, update

from rostra.domain.desk import Role
from rostra.jobs.registry import JobHandlers
from rostra.jobs.runner import Runner
from rostra.moderation.learning_job import register
from rostra.services.desk_learning import LEARN_JOB
from rostra.storage.jobs import SqlJobQueue
from rostra.storage.learning import SqlLearning
from rostra.storage.migrate import current, downgrade, upgrade
from rostra.storage.repository import SqlStore
from rostra.storage.schema import SCHEMA_HEAD
from rostra.storage.tables import comments, jobs, metadata, moderation_examples
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import PASSWORD, READER, desk_client, post_comment, sign_in, staff_accounts
from tests.moderation.test_learning import PEST, PEST_AGAIN, SCORES

pytestmark = pytest.mark.in_process

CIVIL = "Lovely photos of the village show, the brass band was the best part of the day."
# Near-repeats within the duplicates window would be held as copies of each other: these sites
# stand for weeks of comments, which the duplicates phase and the rate limits let pass.
LEARNING_SITE = {
    "moderation": {
        "toxicity": {"classifier": SCORES},
        "duplicates": {"enabled": False},
        "rate_limits": {"enabled": False},
    }
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"jobs_in_process": False}  # the test runs the jobs itself, when it chooses


@pytest.fixture
def sites(server: LiveServer) -> dict[str, Any]:
    store = server.store
    made = {
        slug: store.create_site(slug, slug.title(), [HOST_ORIGIN], settings)
        for slug, settings in (
            ("allot", LEARNING_SITE),
            ("other", LEARNING_SITE),
            (
                "off",
                {
                    "moderation": {
                        **LEARNING_SITE["moderation"],
                        "learning": {"enabled": False},
                    }
                },
            ),
        )
    }
    ids = [site.id for site in made.values()]
    staff_accounts(store).create("mod", PASSWORD, Role.MODERATOR, ids, "Moderator Mo")
    return made


@pytest.fixture
def mod(server: LiveServer, sites: dict[str, Any]) -> Any:
    with desk_client(server) as client:
        client.csrf = sign_in(client, "mod")  # type: ignore[attr-defined]
        yield client


def post(server: LiveServer, site: str, body: str) -> dict[str, Any]:
    with server.client(headers={"Origin": HOST_ORIGIN}) as http:
        answer = post_comment(http, body, site=site, thread="garden", confirm=True)
    assert answer.status_code in (201, 202), answer.text
    comment: dict[str, Any] = answer.json()["comment"]
    return comment


def status_and_record(server: LiveServer, public_id: str) -> tuple[str, dict[str, Any]]:
    with server.store.engines.read.connect() as conn:
        row = conn.execute(
            select(comments.c.status, comments.c.moderation).where(
                comments.c.public_id == public_id
            )
        ).one()
    return row.status, json.loads(row.moderation)


def decide(mod: httpx.Client, site: str, action: str, public_id: str) -> None:
    data = {"csrf": mod.csrf, "one": f"{action}:{public_id}", "grounds": "insult"}  # type: ignore[attr-defined]
    answer = mod.post(f"/moderation/{site}/decide", data=data)
    assert answer.status_code == 303, answer.text


def learn_jobs(store: SqlStore) -> int:
    with store.engines.read.connect() as conn:
        return len(conn.execute(select(jobs.c.id).where(jobs.c.kind == LEARN_JOB)).all())


def run_learning(store: SqlStore) -> int:
    handlers = JobHandlers()
    register(handlers, SqlLearning(store.engines))
    return Runner(SqlJobQueue(store.engines), handlers).run_batch()


def examples(store: SqlStore) -> list[Any]:
    e = moderation_examples.c
    with store.engines.read.connect() as conn:
        return conn.execute(
            select(e.site_id, e.comment_id, e.label, e.signature, e.toxicity).order_by(e.id)
        ).all()


def test_an_approval_lifts_the_sites_next_near_repeat_and_no_other_sites(
    server: LiveServer, sites: dict[str, Any], mod: httpx.Client
) -> None:
    store = server.store
    held = post(server, "allot", PEST)
    assert status_and_record(server, held["id"])[0] == "pending"
    decide(mod, "allot", "approve", held["id"])
    assert learn_jobs(store) == 1  # enqueued with the decision
    assert run_learning(store) == 1
    [row] = examples(store)
    assert (row.site_id, row.label) == (sites["allot"].id, "approve")
    assert row.toxicity == pytest.approx(0.7) and PEST not in row.signature
    # The site's next near-repeat is published, the record saying why; another site's is not.
    again = post(server, "allot", PEST_AGAIN)
    status, record = status_and_record(server, again["id"])
    assert status == "published" and record["phase"] == "learning"
    assert record["facts"]["learnt"] == "lifted"
    elsewhere = post(server, "other", PEST_AGAIN)
    assert status_and_record(server, elsewhere["id"])[0] == "pending"
    # A rejection of a published comment holds its near-repeats on that site.
    shown = post(server, "allot", CIVIL)
    assert status_and_record(server, shown["id"])[0] == "published"
    decide(mod, "allot", "reject", shown["id"])
    assert run_learning(store) == 1
    back = post(server, "allot", CIVIL.replace("best", "finest"))
    status, record = status_and_record(server, back["id"])
    assert status == "pending" and record["phase"] == "learning"
    assert status_and_record(server, post(server, "other", CIVIL)["id"])[0] == "published"


def test_a_changed_decision_replaces_the_example_and_learning_off_enqueues_nothing(
    server: LiveServer, sites: dict[str, Any], mod: httpx.Client
) -> None:
    store = server.store
    held = post(server, "allot", PEST)
    decide(mod, "allot", "approve", held["id"])
    decide(mod, "allot", "reject", held["id"])
    assert learn_jobs(store) == 2
    run_learning(store)
    assert [r.label for r in examples(store)] == ["reject"]
    # Approving what is already published teaches nothing; a site with learning off neither.
    decide(mod, "allot", "approve", post(server, "allot", CIVIL)["id"])
    decide(mod, "off", "approve", post(server, "off", PEST)["id"])
    assert learn_jobs(store) == 2


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "learnt moderation memory" in r.getMessage()]


def test_a_corrupted_memory_leaves_the_shared_model_in_charge(
    server: LiveServer,
    sites: dict[str, Any],
    mod: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = server.store
    decide(mod, "allot", "approve", post(server, "allot", PEST)["id"])
    run_learning(store)
    with store.engines.write.begin() as conn:
        conn.execute(update(moderation_examples).values(signature="!!corrupted!!"))
    with caplog.at_level(logging.WARNING, "rostra.moderation"):
        for _ in range(3):
            held = post(server, "allot", PEST_AGAIN)
            assert status_and_record(server, held["id"])[0] == "pending"
    [said] = warnings_of(caplog)
    assert "1 unreadable" in said and PEST not in caplog.text


def test_a_missing_memory_leaves_the_shared_model_in_charge_and_the_desk_working(
    server: LiveServer,
    sites: dict[str, Any],
    mod: httpx.Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = server.store
    with store.engines.write.begin() as conn:
        conn.execute(text("DROP TABLE moderation_examples"))
    try:
        missing_memory(server, mod, caplog)
    finally:
        # The PostgreSQL database is the next test's too: put the table back.
        moderation_examples.create(store.engines.write, checkfirst=True)


def missing_memory(server: LiveServer, mod: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    store = server.store
    with caplog.at_level(logging.WARNING, "rostra.moderation"):
        first = post(server, "allot", PEST)
        assert status_and_record(server, first["id"])[0] == "pending"
        assert status_and_record(server, post(server, "allot", PEST_AGAIN)["id"])[0] == "pending"
        assert status_and_record(server, post(server, "allot", CIVIL)["id"])[0] == "published"
        # The moderator still decides; the job waits (and retries) until the table is back.
        decide(mod, "allot", "approve", first["id"])
        assert status_and_record(server, first["id"])[0] == "published"
        assert learn_jobs(store) == 1
    [said] = warnings_of(caplog)
    assert "cannot be read" in said


def test_the_learning_migration_matches_the_tables_and_goes_down_and_up(store: SqlStore) -> None:
    engine = store.engines.write
    assert current(engine) == SCHEMA_HEAD and SCHEMA_HEAD >= "0010"
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    downgrade(engine, "0009")
    assert "moderation_examples" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "moderation_examples" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_a_comment_without_words_teaches_nothing_and_a_bad_payload_is_dropped(
    server: LiveServer, sites: dict[str, Any], mod: httpx.Client
) -> None:
    store = server.store
    store.update_site(
        "allot", None, {"moderation": {**LEARNING_SITE["moderation"], "premoderation": "all"}}
    )
    emoji = post(server, "allot", "🐀🪤🐀🪤")
    assert status_and_record(server, emoji["id"])[0] == "pending"
    decide(mod, "allot", "approve", emoji["id"])
    assert learn_jobs(store) == 1 and run_learning(store) == 1
    assert examples(store) == []

    class Payload:
        payload: dict[str, object] = {"comment": "not an id"}

    handlers = JobHandlers()
    register(handlers, SqlLearning(store.engines))
    handler = handlers.get(LEARN_JOB)
    assert handler is not None
    handler(Payload())  # type: ignore[arg-type]
    assert examples(store) == []


def test_an_author_deleting_the_comment_takes_back_what_was_learnt_from_it(
    server: LiveServer, sites: dict[str, Any], mod: httpx.Client
) -> None:
    store = server.store
    with server.client(headers={"Origin": HOST_ORIGIN}) as http:
        answer = post_comment(http, PEST, site="allot", thread="garden", confirm=True)
        assert answer.status_code == 202, answer.text
        comment, token = answer.json()["comment"]["id"], answer.json()["reader_token"]
        decide(mod, "allot", "approve", comment)
        run_learning(store)
        assert [r.label for r in examples(store)] == ["approve"]
        gone = http.delete(f"/api/v1/sites/allot/comments/{comment}", headers={READER: token})
        assert gone.status_code == 200, gone.text
    assert examples(store) == []
    # The site's next near-repeat is judged by the shared model alone again.
    assert status_and_record(server, post(server, "allot", PEST_AGAIN)["id"])[0] == "pending"
