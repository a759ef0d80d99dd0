"""create_app(settings): wiring only. Nothing here does I/O at import time.

``plugins`` are routes mounted after Rostra's own (the demo site is one: ``rostra demo`` mounts
it, ``rostra serve`` never does). With ``jobs_in_process`` (the default) the app runs a job runner
for as long as it serves (rostra.jobs; docs/adr/0007-durable-jobs.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from email.message import EmailMessage
from typing import TypeVar

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from rostra.config import Settings, load_settings
from rostra.domain.clock import utc_now
from rostra.domain.errors import RostraError
from rostra.domain.models import Site
from rostra.jobs.desk import DeadLetters
from rostra.jobs.registry import GiveUp, JobFailed, JobHandlers, builtin_handlers
from rostra.jobs.runner import Runner, runner_settings
from rostra.moderation.learning_job import register as register_learning
from rostra.moderation.moderator import PipelineModerator
from rostra.notify.desk_alerts import DeskAlerts, Recipient
from rostra.notify.desk_alerts import register as register_desk_alerts
from rostra.notify.digest import PUBLISHED_JOB
from rostra.notify.digest import register as register_notifications
from rostra.notify.fanout import Notifier
from rostra.notify.mail import MailDeliveryError, MailNotConfigured, SmtpSender
from rostra.notify.subscription_mail import CONFIRM_JOB
from rostra.notify.subscription_mail import register as register_subscription_mail
from rostra.services.address_limits import (
    new_reader_limiter,
    preview_limiter,
    subscribe_limiter,
)
from rostra.services.desk import ModerationDesk, report_threshold
from rostra.services.desk_alerts import ALERT_JOB, StaffAlerts, open_staff_address
from rostra.services.desk_learning import LEARN_JOB
from rostra.services.discussion import Discussion
from rostra.services.funding import Funding
from rostra.services.reading import ThreadReading
from rostra.services.reports import ReaderReports
from rostra.services.sealed_addresses import AddressBox
from rostra.services.staff import StaffAccounts
from rostra.services.stripe_checkout import StripeCheckout
from rostra.services.stripe_funding import StripeDonations
from rostra.services.subscriptions import Subscriptions
from rostra.services.thread_meta import ThreadKeys
from rostra.services.tokens import ReaderTokens, Signer
from rostra.services.webhooks import DELIVER_JOB, NOTICE_JOB, NoticeRecipient, Webhooks
from rostra.storage.database import Engines, create_engines
from rostra.storage.fanout import SqlFanout
from rostra.storage.funding import SqlFundingStore
from rostra.storage.jobs import SqlJobQueue, wake_after_commit
from rostra.storage.learning import SqlLearning
from rostra.storage.moderation import SqlModerationState
from rostra.storage.repository import SqlStore
from rostra.storage.schema import HealthCheck
from rostra.storage.staff import SqlStaffStore
from rostra.storage.staff_alerts import SqlStaffAlerts
from rostra.storage.stripe_funding import SqlPaymentLookup
from rostra.storage.subscriptions import SqlSubscriptionReads
from rostra.storage.webhooks import SqlWebhookStore
from rostra.web.cached import FastReads
from rostra.web.context import WebContext
from rostra.web.edge import EdgeGuard
from rostra.web.headers import SecurityHeaders
from rostra.web.in_flight import in_flight_for_this_process
from rostra.web.problems import (
    http_error_handler,
    rostra_error_handler,
    unexpected_error_handler,
)
from rostra.web.render import RenderCache, make_environment
from rostra.web.routes import ROUTES, fast_read_paths
from rostra.webhooks.delivery import register as register_webhook_delivery
from rostra.webhooks.notice import DisabledNotice
from rostra.webhooks.notice import register as register_webhook_notice


def create_app(
    settings: Settings | None = None,
    plugins: Sequence[BaseRoute] = (),
    *,
    clock: Callable[[], datetime] | None = None,
    job_handlers: JobHandlers | None = None,
) -> ASGIApp:
    """The app for ``settings``.

    ``clock`` is what the limits count time by: moderation's rate limits (per reader, address
    and thread) and the per-address limits on previews and new readers. Left out, moderation
    reads UTC and those limiters the monotonic clock; a test passes a clock it can move, to see
    a limit let go when its minute is over without waiting for one.

    ``job_handlers`` is what the in-process job runner runs (left out: Rostra's own kinds and
    those of the ``jobs_plugins`` modules).
    """
    settings = settings or load_settings()
    seconds = time.monotonic if clock is None else _seconds_of(clock)
    engines = create_engines(settings.database_url)
    store = SqlStore(engines)
    signer = Signer(settings.secret_key)
    tokens = ReaderTokens(signer)
    moderation_state = SqlModerationState(engines)
    address_key = signer.key("moderation-client-address")
    moderator = PipelineModerator(moderation_state, address_key=address_key, clock=clock or utc_now)
    subscriptions = subscription_service(settings, store, clock=clock)
    discussion = Discussion(
        store,
        tokens,
        moderator=moderator,
        thread_keys=ThreadKeys(signer),
        subscriptions=subscriptions,
    )
    funding = Funding(SqlFundingStore(engines), clock=clock or utc_now)
    ctx = WebContext(
        settings=settings,
        discussion=discussion,
        reading=ThreadReading(store),
        tokens=tokens,
        env=make_environment(),
        cache=RenderCache(settings.render_cache_mb * 1_000_000, settings.render_cache_seconds),
        accounts=StaffAccounts(SqlStaffStore(engines), signer),
        desk=ModerationDesk(store),
        webhooks=Webhooks(
            SqlWebhookStore(engines), allow_private=settings.webhook_allow_private_addresses
        ),
        funding=funding,
        stripe=StripeDonations(
            funding,
            SqlPaymentLookup(engines),
            StripeCheckout(settings.stripe_api_base),
            tolerance=settings.stripe_webhook_tolerance_seconds,
            clock=clock or utc_now,
        ),
        reports=ReaderReports(store, counters=moderation_state, address_key=address_key),
        preview_limits=preview_limiter(clock=seconds),
        new_reader_limits=new_reader_limiter(clock=seconds),
        subscribe_limits=subscribe_limiter(clock=seconds),
        subscriptions=subscriptions,
        # SQLite has one writer at a time: more writing threads per worker only queue as
        # threads (docs/adr/0006); PostgreSQL writes rows in parallel.
        write_slots=1 if engines.write.dialect.name == "sqlite" else 4,
    )

    in_flight = in_flight_for_this_process()  # with rostra serve's other workers, if any
    runner: Runner | None = None
    notifier: Notifier | None = None
    if settings.jobs_in_process:
        handlers = job_handlers or builtin_handlers(settings.jobs_plugins)
        if CONFIRM_JOB not in handlers.kinds():
            register_subscription_mail(handlers, subscriptions, settings, mail_sender(settings))
        register_webhook_jobs(handlers, settings, store, clock=clock)
        notifier = register_notification_jobs(handlers, settings, store, subscriptions, clock=clock)
        register_alert_jobs(handlers, settings, store, clock=clock)
        register_learning_jobs(handlers, store, clock=clock)
        runner = Runner(
            SqlJobQueue(engines),
            handlers,
            runner_settings(settings),
            clock=clock or utc_now,
            busy=in_flight.busy,  # background work gives way to the requests of this server
        )
        # A job a request queued runs when its transaction commits, not at the next poll.
        wake_after_commit(engines, runner.wake)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Load the moderation models before the first comment arrives (when a site moderates),
        # off the event loop.
        await anyio.to_thread.run_sync(lambda: moderator.warm_up(_sites_or_none(store)))
        jobs = None if runner is None else asyncio.create_task(runner.run())
        yield
        if runner is not None and jobs is not None:
            # The job under way finishes; the rest of its batch goes back to the queue.
            runner.stop()
            await jobs
        if notifier is not None:
            notifier.close()  # the SMTP session kept between mails
        store.close()

    app = Starlette(
        debug=False,
        routes=[*ROUTES, *plugins],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            RostraError: rostra_error_handler,
            HTTPException: http_error_handler,
            Exception: unexpected_error_handler,
        },
        lifespan=lifespan,
    )
    app.state.rostra = ctx
    app.state.health_check = HealthCheck(engines.read)  # what /healthz asks
    app.state.job_runner = runner
    app.state.dead_letters = DeadLetters(
        SqlJobQueue(engines), store.list_sites, clock=clock or utc_now
    )
    app.state.staff_alerts = staff_alerts_service(settings, engines, clock=clock)
    logging.getLogger("rostra").setLevel(logging.INFO)
    return EdgeGuard(FastReads(app, ctx, fast_read_paths()), settings, in_flight)


def _sites_or_none(store: SqlStore) -> list[Site] | None:
    """Every site, or None when the database cannot be read at startup: the server still starts
    (``/healthz`` says what is wrong) and loads the moderation models as if a site moderated."""
    try:
        return list(store.list_sites())
    except Exception:  # the database is down or refuses us; serve, and say so
        logging.getLogger("rostra").warning("could not read the sites at startup", exc_info=True)
        return None


def subscription_service(
    settings: Settings, store: SqlStore, *, clock: Callable[[], datetime] | None = None
) -> Subscriptions:
    """ "Notify me of" over ``store``: the web app's, and what ``rostra worker`` mails with."""
    signer = Signer(settings.secret_key)
    return Subscriptions(
        store,
        SqlSubscriptionReads(store.engines),
        signer,
        ReaderTokens(signer),
        AddressBox(settings.secret_key),
        confirm_days=settings.notify_confirm_days,
        languages=settings.languages,
        clock=clock or utc_now,
        # No smtp_url (the demo sets its sink's): nothing is offered or taken (no job waits).
        mail=bool(settings.smtp_url),
    )


def mail_sender(settings: Settings) -> Callable[[EmailMessage], None]:
    """How jobs send mail: through ``smtp_url``, with what the job table records of a failure
    fixed and free of addresses. A refusal for good (a 5xx to the recipient or the message)
    sends the job to the dead-letter list at once; anything else is retried with backoff, so
    nothing is lost while the server is down or not yet set up."""

    def send(message: EmailMessage) -> None:
        try:
            SmtpSender.from_settings(settings).send(message)
        except MailNotConfigured:
            raise JobFailed("no smtp_url set") from None
        except MailDeliveryError as exc:
            if exc.temporary:
                raise JobFailed("SMTP server unavailable or refusing for now") from None
            raise GiveUp("SMTP server refused the mail for good") from None

    return send


def register_notify_jobs(handlers: JobHandlers, settings: Settings, store: SqlStore) -> None:
    """Rostra's own mail kinds (``notify.confirm``) in ``handlers``, unless a test or plug-in
    registered its own; ``rostra serve``'s runner and ``rostra worker`` both call this."""
    if CONFIRM_JOB not in handlers.kinds():
        register_subscription_mail(
            handlers, subscription_service(settings, store), settings, mail_sender(settings)
        )
    register_notification_jobs(handlers, settings, store)
    register_alert_jobs(handlers, settings, store)


def register_learning_jobs(
    handlers: JobHandlers, store: SqlStore, *, clock: Callable[[], datetime] | None = None
) -> None:
    """``moderation.learn`` (rostra.moderation.learning_job: a desk decision becomes a learnt
    example of its site) in ``handlers``, unless a test or plug-in registered its own;
    ``rostra serve``'s runner and ``rostra worker`` both call this."""
    if LEARN_JOB not in handlers.kinds():
        register_learning(handlers, SqlLearning(store.engines), clock or utc_now)


def staff_alerts_service(
    settings: Settings, engines: Engines, *, clock: Callable[[], datetime] | None = None
) -> StaffAlerts:
    """Each staff account's alert choice (the desk's "My alerts" page, ``rostra staff alerts``)."""
    return StaffAlerts(
        SqlStaffAlerts(engines),
        AddressBox(settings.secret_key),
        ReaderTokens(Signer(settings.secret_key)),
        settings.languages,
        clock=clock or utc_now,
        mail=bool(settings.smtp_url),
    )


def register_alert_jobs(
    handlers: JobHandlers,
    settings: Settings,
    store: SqlStore,
    *,
    clock: Callable[[], datetime] | None = None,
    send: Callable[[EmailMessage], None] | None = None,
) -> None:
    """Moderator alerts (``desk.alert``, ``.send``, ``.digest``, rostra.notify.desk_alerts) in
    ``handlers``, unless a test or plug-in registered its own; ``rostra serve``'s runner and
    ``rostra worker`` both call this."""
    if ALERT_JOB in handlers.kinds():
        return
    box = AddressBox(settings.secret_key)

    def open_address(recipient: Recipient) -> str | None:
        return open_staff_address(box, recipient.account_id, recipient.sealed_address)

    alerts = DeskAlerts(
        SqlStaffAlerts(store.engines),
        settings,
        open_address,
        lambda site: store.queue_counts(site.id, report_threshold(site)),
        send or mail_sender(settings),
        clock or utc_now,
    )
    register_desk_alerts(handlers, alerts)


def register_notification_jobs(
    handlers: JobHandlers,
    settings: Settings,
    store: SqlStore,
    subscriptions: Subscriptions | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
) -> Notifier | None:
    """``notify.published``, ``notify.mail`` and ``notify.digest`` (rostra.notify.fanout and
    .digest) in ``handlers``, unless a test or plug-in registered its own; ``rostra serve``'s
    runner and ``rostra worker`` both call this. The notifier, whose ``close`` ends its kept
    SMTP session, or None when the kinds were registered already."""
    if PUBLISHED_JOB in handlers.kinds():
        return None
    return register_notifications(
        handlers,
        SqlFanout(store.engines),
        subscriptions or subscription_service(settings, store, clock=clock),
        settings,
        clock=clock or utc_now,
        wrap=mail_job_errors,
    )


J = TypeVar("J")


def mail_job_errors(handler: Callable[[J], None]) -> Callable[[J], None]:
    """``handler`` with what the job table records of a mail failure fixed and free of
    addresses: a refusal for good goes to the dead-letter list at once, anything else is
    retried with backoff (nothing is lost while the SMTP server is down)."""

    def run(job: J) -> None:
        try:
            handler(job)
        except MailNotConfigured:
            raise JobFailed("no smtp_url set") from None
        except MailDeliveryError as exc:
            if exc.temporary:
                raise JobFailed("SMTP server unavailable or refusing for now") from None
            raise GiveUp("SMTP server refused the mail for good") from None

    return run


def register_webhook_jobs(
    handlers: JobHandlers,
    settings: Settings,
    store: SqlStore,
    *,
    clock: Callable[[], datetime] | None = None,
    send: Callable[[EmailMessage], None] | None = None,
) -> None:
    """``webhook.deliver`` (rostra.webhooks.delivery) and ``webhook.disabled`` (the admins'
    mail, rostra.webhooks.notice) in ``handlers``, unless a test or plug-in registered its own;
    ``rostra serve``'s runner and ``rostra worker`` both call this."""
    if DELIVER_JOB not in handlers.kinds():
        webhook_store = SqlWebhookStore(store.engines)
        register_webhook_delivery(handlers, webhook_store, store, settings, clock=clock or utc_now)
    if NOTICE_JOB not in handlers.kinds():
        box = AddressBox(settings.secret_key)

        def open_address(admin: NoticeRecipient) -> str | None:
            return open_staff_address(box, admin.account_id, admin.sealed_address)

        notice = DisabledNotice(
            SqlWebhookStore(store.engines),
            settings,
            open_address,
            send or mail_sender(settings),
            clock or utc_now,
        )
        register_webhook_notice(handlers, mail_job_errors(notice))


def _seconds_of(clock: Callable[[], datetime]) -> Callable[[], float]:
    """``clock`` as the seconds the per-address limiters count minutes by."""
    return lambda: clock().timestamp()
