"""The demo's followers: three readers of the Harbour Courier who asked to be told of new comments,
and the comments that reach them, so ``make demo``'s mailbox shows a notification and a digest
without anyone setting anything up.

Everything goes through the real code paths: the followers subscribe through the subscription
service (following the thread, or asking for replies to a comment posted through ``Discussion``)
and confirm with the link their confirmation mail would carry, made and used by the service
itself (they have no inbox to click in); the comments after them are posted through
``Discussion`` with the service wired in, so each one's ``notify.published`` job is written in
its transaction and the demo server's job runner fans it out over SMTP to the demo's sink.

The one thing a real site would not do is the digest's timing: a daily digest goes out at
midnight UTC, long after a newcomer has closed the demo. So the seed also queues a
``notify.digest`` job due now (:func:`digest_due_now`), after the comments' jobs; only the demo
does this, and production's schedule is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from rostra.demo.content import ARTICLE, THREAD_ID
from rostra.domain.models import Author, Comment, Site, Thread
from rostra.domain.subscriptions import Cadence, Subscription
from rostra.notify.fanout import digest_job, next_boundary
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.ports import NewJob, WriteTransaction
from rostra.services.sealed_addresses import AddressBox
from rostra.services.subscriptions import (
    FollowRequest,
    Subscriptions,
    Wish,
)
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.repository import SqlStore
from rostra.storage.subscriptions import SqlSubscriptionReads


@dataclass(frozen=True, slots=True)
class Follower:
    """A demo reader who asked for mail: ``follows`` is "thread" or "replies" (to their own
    comment, ``comment``), at ``cadence``, in ``language``."""

    name: str
    address: str
    follows: str
    cadence: Cadence
    language: str
    comment: str = ""


THREAD_FOLLOWER = Follower(
    "Dilys Penhallow", "dilys.penhallow@example.org", "thread", Cadence.IMMEDIATE, "en"
)
REPLY_FOLLOWER = Follower(
    "Tom Kessell",
    "tom.kessell@example.org",
    "replies",
    Cadence.IMMEDIATE,
    "en",
    comment=(
        "Does anyone know whether the bridge will swing open for the regatta in August? "
        "The masts in the inner basin won't fit under it closed."
    ),
)
DIGEST_FOLLOWER = Follower(
    "Soizic Le Bihan", "soizic.lebihan@example.org", "thread", Cadence.DAILY, "fr"
)
FOLLOWERS: tuple[Follower, ...] = (THREAD_FOLLOWER, REPLY_FOLLOWER, DIGEST_FOLLOWER)

#: Who answers the reply follower, in the seed: the paper's own reporter, after everyone
#: subscribed, so this one comment reaches all three.
ANSWER_NAME = "Maren Okafor, Harbour Courier"
ANSWER = (
    "It will, Tom: the harbour office confirmed this morning that the bridge swings open for "
    "the whole regatta weekend, and on every spring tide as it does now. Timetable to follow."
)
#: The comments the seed posts after the followers subscribed: the question, then its answer.
COMMENTS: tuple[str, ...] = (REPLY_FOLLOWER.comment, ANSWER)
#: Minutes before the seed's ``now``: the followers subscribe first, then the comments come.
_MINUTES = {"thread": 14, "digest": 12, "ask": 9, "answer": 2}


class _Remembering(Subscriptions):
    """The subscription service, remembering what it recorded: the seed confirms each
    subscriber with their own link, and a subscription made with a comment is recorded inside
    ``Discussion.post``, which answers with the comment alone."""

    recorded: list[Subscription]

    def record(
        self,
        tx: WriteTransaction,
        wish: Wish,
        thread: Thread,
        comment: Comment | None,
        now: datetime,
        *,
        counted: bool = False,
    ) -> Subscription:
        subscription = super().record(tx, wish, thread, comment, now, counted=counted)
        self.recorded.append(subscription)
        return subscription


class _Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def seed_followers(
    store: SqlStore,
    secret_key: str,
    site: Site,
    origin: str,
    now: datetime,
) -> None:
    """Subscribe and confirm the followers, post the comments that reach them, and queue the
    demo's digest due ``now`` (once: the caller seeds a new demo thread only)."""
    clock = _Clock(now)
    signer = Signer(secret_key)
    tokens = ReaderTokens(signer)
    subscriptions = _Remembering(
        store,
        SqlSubscriptionReads(store.engines),
        signer,
        tokens,
        AddressBox(secret_key),
        clock=clock,
    )
    subscriptions.recorded = []
    discussion = Discussion(store, tokens, clock=clock, subscriptions=subscriptions)

    def at(step: str) -> None:
        clock.at = now - timedelta(minutes=_MINUTES[step])

    for follower, step in ((THREAD_FOLLOWER, "thread"), (DIGEST_FOLLOWER, "digest")):
        at(step)
        subscriptions.follow(
            site,
            FollowRequest(
                THREAD_ID,
                follower.address,
                cadence=follower.cadence.value,
                language=follower.language,
            ),
        )
    at("ask")
    url = f"{origin.rstrip('/')}/demo/{THREAD_ID}"
    asker = _reader(discussion, site)
    question = discussion.post(
        site,
        PostRequest(
            thread_external_id=THREAD_ID,
            body=REPLY_FOLLOWER.comment,
            author_name=REPLY_FOLLOWER.name,
            email=REPLY_FOLLOWER.address,
            url=url,
            title=ARTICLE.title,
            notify=REPLY_FOLLOWER.follows,
            language=REPLY_FOLLOWER.language,
        ),
        asker,
    )
    _confirm_all(subscriptions, site)
    at("answer")
    discussion.post(
        site,
        PostRequest(
            thread_external_id=THREAD_ID,
            body=ANSWER,
            author_name=ANSWER_NAME,
            parent_public_id=question.public_id,
            url=url,
            title=ARTICLE.title,
        ),
        _reader(discussion, site),
    )
    clock.at = now
    with store.write() as tx:
        tx.enqueue(digest_due_now(now), now)


def _reader(discussion: Discussion, site: Site) -> Author:
    return discussion.author(site, discussion.tokens.issue(site.id))


def _confirm_all(subscriptions: _Remembering, site: Site) -> None:
    """Confirm each follower as they would with their mail's link: the service makes the link
    (``confirmation``) and uses it (``confirm``), so it is checked and used up like any other;
    their confirmation jobs then find nothing to send."""
    for subscriber_id in dict.fromkeys(s.subscriber_id for s in subscriptions.recorded):
        confirmation = subscriptions.confirmation(site, subscriber_id)
        if confirmation is not None:
            subscriptions.confirm(site, confirmation.confirm_token)


def digest_due_now(now: datetime) -> NewJob:
    """The daily digest job, due ``now`` instead of at midnight, under a key of the demo's own.

    Why: the demo wants its digest follower's mail in the mailbox while a newcomer looks, and a
    real daily digest waits for midnight UTC. It is queued after the comments' jobs (claimed in
    order of when they are due, then of their ids) so their fan-out has recorded the digest
    items by the time it runs; it takes the items due by the end of the next day, so a demo
    served a day after ``--seed-only`` still finds them. The fan-out's own midnight job then
    finds them sent. Nothing outside the demo queues this.
    """
    due = next_boundary(Cadence.DAILY, now) + timedelta(days=1)
    job = digest_job(Cadence.DAILY, due)
    return replace(job, idempotency_key=f"{job.idempotency_key}:demo", run_after=now)
