"""The schema, as SQLAlchemy Core tables. Alembic migrations create exactly this."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid; BigInteger elsewhere.
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

sites = Table(
    "sites",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    # Space-separated list of origins (scheme://host[:port]) allowed to embed and write.
    Column("allowed_origins", Text, nullable=False, default=""),
    Column("settings", Text, nullable=False, default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

threads = Table(
    "threads",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("external_id", String(500), nullable=False),
    Column("url", String(2000), nullable=False, default=""),
    Column("title", String(500), nullable=False, default=""),
    Column("closed", Boolean, nullable=False, default=False),
    # Published, not deleted comments: what article lists show.
    Column("comment_count", Integer, nullable=False, default=0),
    # Bumped on every change that alters what the thread displays; keys the render caches.
    Column("version", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("site_id", "external_id", name="uq_threads_site_external"),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("thread_id", Id, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", Id, ForeignKey("comments.id"), nullable=True),
    # The top-level ancestor (NULL for a root): fetches whole subtrees with one indexed query.
    Column("root_id", Id, nullable=True),
    Column("depth", Integer, nullable=False, default=0),
    Column("author_name", String(200), nullable=False),
    # HMAC of the guest's reader id: proves authorship without storing the token itself.
    Column("reader_key", String(64), nullable=True),
    Column("account_id", Id, nullable=True),
    # Keyed hash of the e-mail address; the address itself is never stored.
    Column("email_hash", String(64), nullable=True),
    Column("body", Text, nullable=False),
    # Cache of the sanitised rendering of ``body``; the renderer is the only writer.
    Column("html", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("language", String(8), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("edited_at", DateTime(timezone=True), nullable=True),
    Column("edited_by", String(200), nullable=True),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Column("upvotes", Integer, nullable=False, default=0),
    Column("downvotes", Integer, nullable=False, default=0),
    Column("score", Integer, nullable=False, default=0),
    # Replies of any status, deleted or not: a comment with replies is locked for edits.
    Column("reply_count", Integer, nullable=False, default=0),
    Column("client_nonce", String(64), nullable=True),
    Index("ix_comments_roots_time", "thread_id", "root_id", "created_at", "id"),
    Index("ix_comments_roots_score", "thread_id", "root_id", "score", "id"),
    Index("ix_comments_subtree", "root_id", "created_at", "id"),
    # The fan-out reads a reader's comments in one thread (rostra.storage.fanout.author_hashes).
    Index("ix_comments_reader_thread", "reader_key", "thread_id"),
    UniqueConstraint("thread_id", "client_nonce", name="uq_comments_thread_nonce"),
)

revisions = Table(
    "revisions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("comment_id", Id, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("editor_name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("comment_id", "number", name="uq_revisions_comment_number"),
)

votes = Table(
    "votes",
    metadata,
    Column("comment_id", Id, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    # Reader key or "a:<account id>": one vote per reader per comment.
    Column("voter_key", String(80), primary_key=True),
    Column("value", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# -- moderation (rostra.moderation) ---------------------------------------------------------------

# What the moderation pipeline decided about a comment, as JSON: verdict, deciding phase, reason,
# language and scores. Never the text itself. Kept out of thread reads (see repository).
comments.append_column(Column("moderation", Text, nullable=True))

# Rate-limit counters: one row per key (reader, client address hash or thread, per site) and
# fixed window; old windows are pruned by the writers (rostra.storage.moderation).
moderation_counters = Table(
    "moderation_counters",
    metadata,
    Column("key", String(160), primary_key=True),
    Column("window_start", BigInteger, primary_key=True),
    Column("count", Integer, nullable=False),
    Index("ix_moderation_counters_window", "window_start"),
)

# Fingerprints of recent comments for repeats and near-duplicates: a hash of the matching key and
# a MinHash signature (base64 of 128 little-endian uint32), never the text.
moderation_fingerprints = Table(
    "moderation_fingerprints",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("comment_id", Id, ForeignKey("comments.id", ondelete="CASCADE"), nullable=True),
    # The author's key (reader key or "a:<account id>"), to tell own repeats from others'.
    Column("reader_key", String(64), nullable=True),
    Column("exact", String(32), nullable=False),
    Column("signature", Text, nullable=False),
    # Distinct character 4-grams in the text: estimates how much of one text another contains.
    Column("size", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_moderation_fingerprints_exact", "site_id", "exact", "created_at"),
    Index("ix_moderation_fingerprints_author", "site_id", "reader_key", "created_at"),
    Index("ix_moderation_fingerprints_created", "created_at"),
)

# MinHash LSH bands of each fingerprint: texts sharing a band are near-duplicate candidates.
moderation_bands = Table(
    "moderation_bands",
    metadata,
    Column(
        "fingerprint_id",
        Id,
        ForeignKey("moderation_fingerprints.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("band", String(24), primary_key=True),
    Column("site_id", Id, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_moderation_bands_lookup", "site_id", "band", "created_at"),
)

# What a site's moderators decided about comments, as learnt examples (rostra.moderation.learning):
# one row per decided comment (a later decision replaces it, with a new id, so a site's
# (count, max id) changes whenever its examples do), its MinHash signature (as the fingerprints'),
# the label and the toxicity the shared model gave it. Never the text.
moderation_examples = Table(
    "moderation_examples",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column(
        "comment_id",
        Id,
        ForeignKey("comments.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("label", String(8), nullable=False),
    Column("signature", Text, nullable=False),
    Column("toxicity", Float, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_moderation_examples_site", "site_id", "id"),
)

# -- the moderators' desk (rostra.services.desk, rostra.services.staff) -------------------------

# Open (unresolved) reader reports on a comment: the reported queue holds comments whose count
# reached the site's threshold. Kept on the comment so the queue is one indexed query.
comments.append_column(
    Column("open_reports", Integer, nullable=False, default=0, server_default="0")
)
# Partial indexes: the desk only ever looks for the few comments that are not published, that
# have open reports or that left an e-mail, so the many others cost no index entry on insert.
_NOT_PUBLISHED = comments.c.status != "published"
_REPORTED = comments.c.open_reports > 0
_WITH_EMAIL = comments.c.email_hash.is_not(None)
Index(
    "ix_comments_status",
    comments.c.status,
    comments.c.created_at,
    sqlite_where=_NOT_PUBLISHED,
    postgresql_where=_NOT_PUBLISHED,
)
Index(
    "ix_comments_open_reports",
    comments.c.open_reports,
    sqlite_where=_REPORTED,
    postgresql_where=_REPORTED,
)
Index(
    "ix_comments_email",
    comments.c.email_hash,
    sqlite_where=_WITH_EMAIL,
    postgresql_where=_WITH_EMAIL,
)
# Published but flagged for a moderator to look at (the borderline band), since when: the desk's
# "To review" queue. Set in the comment's own transaction, cleared by any decision on it.
comments.append_column(Column("review_since", DateTime(timezone=True), nullable=True))
_TO_REVIEW = comments.c.review_since.is_not(None)
Index(
    "ix_comments_review",
    comments.c.review_since,
    sqlite_where=_TO_REVIEW,
    postgresql_where=_TO_REVIEW,
)

staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # Case-folded login name.
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    # argon2id, in the PHC string format (parameters and salt included).
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Which sites a moderator moderates (admins moderate all of them).
staff_sites = Table(
    "staff_sites",
    metadata,
    Column("account_id", Id, ForeignKey("staff_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)

# Signed-in staff sessions, keyed by a hash of the cookie's secret (a stolen database holds no
# usable session).
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("account_id", Id, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Index("ix_staff_sessions_account", "account_id"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("comment_id", Id, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
    # Reader key or "a:<account id>": one report per reader per comment.
    Column("reporter_key", String(80), nullable=False),
    Column("reason", String(24), nullable=False),
    Column("note", String(500), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("comment_id", "reporter_key", name="uq_reports_comment_reporter"),
)

bans = Table(
    "bans",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    # Reader key, e-mail hash or account id: never an address in clear.
    Column("value", String(80), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("lifted_at", DateTime(timezone=True), nullable=True),
    Index("ix_bans_lookup", "site_id", "kind", "value"),
)

# Every decision on a comment or an author, human or automated, with its statement of reasons.
# Rows are only ever inserted.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("comment_id", Id, nullable=True),
    Column("comment_public_id", String(32), nullable=True),
    # NULL: the moderation pipeline decided on its own.
    Column("actor_id", Id, nullable=True),
    Column("actor_name", String(200), nullable=False),
    Column("action", String(24), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=True),
    Column("grounds", String(32), nullable=True),
    Column("explanation", Text, nullable=False, default=""),
    Column("detail", Text, nullable=False, default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_audit_log_site", "site_id", "id"),
    Index("ix_audit_log_comment", "comment_id"),
)

# Durable background work (docs/adr/0007-durable-jobs.md): an outbox written in the transaction
# of the event that causes it, claimed by workers under a lease.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # Which handler runs it (rostra.jobs.registry).
    Column("kind", String(64), nullable=False),
    # JSON: ids and keys, never a comment's text or an address in clear.
    Column("payload", Text, nullable=False),
    # Enqueueing the same key again adds nothing; handlers derive Message-IDs and the like from
    # it, so a receiver can tell a repeat.
    Column("idempotency_key", String(200), nullable=False, unique=True),
    # queued | running | done | dead
    Column("state", String(8), nullable=False),
    # Claims so far, the current one included.
    Column("attempts", Integer, nullable=False, default=0),
    Column("run_after", DateTime(timezone=True), nullable=False),
    # The lease: which worker holds the job, and until when.
    Column("locked_by", String(64), nullable=True),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    # The last failure's kind, short and fixed (an exception's class or a handler's own reason).
    Column("last_error", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)
# Partial indexes: claiming reads the due queued jobs in order and the expired leases; the
# dead-letter list reads the dead ones; the purge reads the finished ones.
_QUEUED = jobs.c.state == "queued"
_RUNNING = jobs.c.state == "running"
_DEAD = jobs.c.state == "dead"
_DONE = jobs.c.state == "done"
Index("ix_jobs_due", jobs.c.run_after, jobs.c.id, sqlite_where=_QUEUED, postgresql_where=_QUEUED)
Index("ix_jobs_lease", jobs.c.locked_until, sqlite_where=_RUNNING, postgresql_where=_RUNNING)
Index("ix_jobs_dead", jobs.c.id, sqlite_where=_DEAD, postgresql_where=_DEAD)
Index("ix_jobs_done", jobs.c.finished_at, sqlite_where=_DONE, postgresql_where=_DONE)

# -- "Notify me of" (rostra.domain.subscriptions, rostra.services.subscriptions) ----------------

# One address (or account) on one site: the address sealed with AES-GCM under a key derived from
# the secret, looked up by its keyed hash; never in clear.
subscribers = Table(
    "subscribers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    # "e:<keyed hash of the address>" or "a:<account id>".
    Column("key", String(80), nullable=False),
    Column("email_hash", String(64), nullable=True),
    Column("account_id", Id, nullable=True),
    Column("address", Text, nullable=True),
    Column("language", String(8), nullable=False),
    # Double opt-in: NULL until the address's owner confirms it.
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    # The one confirmation link in force (random; a used or replaced one no longer works).
    Column("confirm_nonce", String(32), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("site_id", "key", name="uq_subscribers_site_key"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("subscriber_id", Id, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
    # replies | thread
    Column("target", String(8), nullable=False),
    # "c:<comment id>" or "t:<thread id>": one row per subscriber and target.
    Column("target_key", String(40), nullable=False),
    Column("thread_id", Id, ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("comment_id", Id, ForeignKey("comments.id", ondelete="CASCADE"), nullable=True),
    # immediate | hourly | daily
    Column("cadence", String(10), nullable=False),
    Column("language", String(8), nullable=False),
    # pending | confirmed | ended
    Column("state", String(10), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("subscriber_id", "target_key", name="uq_subscriptions_subscriber_target"),
    # Who follows a thread, or a comment's replies, when a comment is published there.
    Index("ix_subscriptions_thread", "thread_id", "state"),
    Index("ix_subscriptions_comment", "comment_id", "state"),
)

# A published comment waiting for a subscriber's hourly or daily digest (rostra.notify.digest):
# one row per subscriber and comment, deleted once the digest that carries it is sent.
digest_items = Table(
    "digest_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("subscriber_id", Id, ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
    Column(
        "subscription_id", Id, ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("comment_id", Id, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
    # hourly | daily
    Column("cadence", String(10), nullable=False),
    # The end of the period whose digest carries it.
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("subscriber_id", "comment_id", name="uq_digest_items_subscriber_comment"),
    Index("ix_digest_items_due", "cadence", "due_at", "subscriber_id"),
)

# -- Signed webhooks (rostra.domain.webhooks, rostra.services.webhooks) ------------------------

# A URL a site's admins registered, the events it wants and the secret deliveries are signed
# with (kept to sign; shown to the admin once, when it is made).
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("url", String(2000), nullable=False),
    # Space-separated event names (comment.published ...).
    Column("events", String(200), nullable=False),
    Column("secret", String(80), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    # Failed deliveries since the last one that worked; at webhook_disable_after it is disabled.
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("disabled_reason", String(200), nullable=True),
    Index("ix_webhook_endpoints_site", "site_id"),
)

# Every attempt to deliver an event to an endpoint: the desk's delivery log.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "endpoint_id", Id, ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    ),
    Column("event_id", String(64), nullable=False),
    Column("event", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status", Integer, nullable=True),
    # Short and fixed (never the receiver's answer).
    Column("outcome", String(200), nullable=False),
    Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
)

# -- Moderator alerts (rostra.notify.desk_alerts, rostra.storage.staff_alerts) -----------------

# A staff account's alert address and cadence: the address sealed with AES-GCM (as subscribers'
# are) and its keyed hash; no row, or cadence "off", means no alerts.
staff_alerts = Table(
    "staff_alerts",
    metadata,
    Column("account_id", Id, ForeignKey("staff_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("email_hash", String(64), nullable=True),
    Column("address", Text, nullable=True),
    # off | immediate | hourly | daily
    Column("cadence", String(10), nullable=False),
    # The mails' language; NULL: the site's default language.
    Column("language", String(8), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A comment that entered a queue, waiting for one staff account's next alert mail (immediate:
# the next one the coalescing window allows; hourly or daily: the period's digest). Deleted once
# the mail that carries it is sent.
staff_alert_items = Table(
    "staff_alert_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", Id, ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("comment_id", Id, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
    # pending | reported
    Column("queue", String(10), nullable=False),
    Column("cadence", String(10), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("account_id", "comment_id", "queue", name="uq_staff_alert_items_event"),
    Index("ix_staff_alert_items_due", "cadence", "due_at", "account_id"),
)

# When an account's last immediate alert for a site was sent: the next waits a coalescing window.
staff_alert_marks = Table(
    "staff_alert_marks",
    metadata,
    Column("account_id", Id, ForeignKey("staff_accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
)

# -- Reader funding (rostra.domain.funding, rostra.services.funding) ---------------------------
# A site's campaign and its running totals (moved by each ledger entry's own transaction).
campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    # amount | donations | donors; the goal in minor units for an amount, else a count.
    Column("goal_type", String(16), nullable=False),
    Column("goal", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("starts_on", Date, nullable=True),
    Column("ends_on", Date, nullable=True),
    # Comma-separated, in the goal's units; empty: 0, half and the goal.
    Column("ticks", String(400), nullable=False, default=""),
    # Gift presets and minimum, minor units (stripe_funding); empty and 0: the site's (0013).
    Column("presets", String(200), nullable=False, default="", server_default=""),
    Column("minimum_minor", BigInteger, nullable=False, default=0, server_default="0"),
    Column("open", Boolean, nullable=False, default=True),
    Column("raised_minor", BigInteger, nullable=False, default=0),
    Column("donations", BigInteger, nullable=False, default=0),
    Column("donors", BigInteger, nullable=False, default=0),
    Column("version", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_campaigns_site", "site_id", "id"),
)

# The donations ledger: every source's entries, signed, never updated, unique per source id.
donation_entries = Table(
    "donation_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("campaign_id", Id, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(16), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_ref", String(255), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("donor_name", String(200), nullable=True),
    Column("method", String(16), nullable=True),
    Column("note", String(500), nullable=False, default=""),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    UniqueConstraint("site_id", "source", "external_id", name="uq_donation_entries_source"),
    Index("ix_donation_entries_campaign", "campaign_id", "id"),
)

# One row per payment: its entries' net, paid or not yet, counted (paid, net above zero).
donations = Table(
    "donations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("site_id", Id, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("campaign_id", Id, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
    Column("source", String(16), nullable=False),
    Column("payment_ref", String(255), nullable=False),
    Column("donor_key", String(255), nullable=True),
    Column("paid", Boolean, nullable=False, default=False),
    Column("net_minor", BigInteger, nullable=False, default=0),
    Column("counted", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("site_id", "source", "payment_ref", name="uq_donations_payment"),
)

# Counted donations per donor and campaign (the donors total moves at 0 <-> 1).
campaign_donors = Table(
    "campaign_donors",
    metadata,
    Column("campaign_id", Id, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("donor_key", String(255), primary_key=True),
    Column("donations", Integer, nullable=False),
)
