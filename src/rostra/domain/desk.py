"""The moderators' desk as plain data: staff accounts, reader reports, bans and the audit log."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rostra.domain.errors import N_
from rostra.domain.models import Comment, CommentStatus, Thread


class Role(enum.StrEnum):
    """What a staff account may do. Admins moderate every site; moderators only their own."""

    MODERATOR = "moderator"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """A moderator or admin. The password hash never leaves storage."""

    id: int
    username: str
    display_name: str
    role: Role
    site_ids: frozenset[int] = frozenset()
    disabled: bool = False

    def moderates(self, site_id: int) -> bool:
        return not self.disabled and (self.role is Role.ADMIN or site_id in self.site_ids)

    def edits_threads(self, site_id: int) -> bool:
        """May change a thread's title and article address. Admins only: the address is the
        "Read the article" link the paper's comment domain serves in the newsroom's name, so
        it is the site's setting rather than a moderation decision (moderators see it)."""
        return self.role is Role.ADMIN and self.moderates(site_id)


class ReportReason(enum.StrEnum):
    """Why a reader reports a comment."""

    ABUSE = "abuse"
    HATE = "hate"
    THREAT = "threat"
    SPAM = "spam"
    MISINFORMATION = "misinformation"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


REPORT_REASON_LABELS: dict[ReportReason, str] = {
    ReportReason.ABUSE: N_("Insulting or harassing"),
    ReportReason.HATE: N_("Hate against a group"),
    ReportReason.THREAT: N_("Threat of violence"),
    ReportReason.SPAM: N_("Spam or advertising"),
    ReportReason.MISINFORMATION: N_("Misleading or false"),
    ReportReason.OFF_TOPIC: N_("Off topic"),
    ReportReason.OTHER: N_("Something else"),
}


class DeskAction(enum.StrEnum):
    """A decision on a comment or an author, or a change to a thread, as written in the audit
    log."""

    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"
    BAN = "ban"
    LIFT_BAN = "lift_ban"
    # Staff changed a thread's title or article address (not a decision on a comment).
    EDIT_THREAD = "edit_thread"
    # Decisions the moderation pipeline took on its own (no human involved).
    AUTO_HOLD = "auto_hold"
    AUTO_REJECT = "auto_reject"
    # Changes to a site's webhook endpoints (rostra.services.webhooks), never their secrets.
    WEBHOOK_ADD = "webhook_add"
    WEBHOOK_EDIT = "webhook_edit"
    WEBHOOK_ENABLE = "webhook_enable"
    WEBHOOK_DISABLE = "webhook_disable"
    # Rostra turned the endpoint off after repeated failed deliveries.
    WEBHOOK_AUTO_DISABLE = "webhook_auto_disable"
    WEBHOOK_DELETE = "webhook_delete"
    WEBHOOK_ROTATE = "webhook_rotate_secret"
    # Reader funding (rostra.services.funding): campaigns and offline donations.
    CAMPAIGN_ADD = "campaign_add"
    CAMPAIGN_EDIT = "campaign_edit"
    CAMPAIGN_CLOSE = "campaign_close"
    CAMPAIGN_REOPEN = "campaign_reopen"
    DONATION_RECORD = "donation_record"


# The status a comment gets from each action on it (a ban also rejects the comment it was on).
ACTION_STATUS: dict[DeskAction, CommentStatus] = {
    DeskAction.APPROVE: CommentStatus.PUBLISHED,
    DeskAction.REJECT: CommentStatus.REJECTED,
    DeskAction.SPAM: CommentStatus.SPAM,
    DeskAction.BAN: CommentStatus.REJECTED,
}


class Grounds(enum.StrEnum):
    """The ground a decision rests on, for the statement of reasons given with it."""

    GUIDELINES_MET = "guidelines_met"
    INSULT = "insult"
    HATE = "hate"
    THREAT = "threat"
    SPAM = "spam"
    OFF_TOPIC = "off_topic"
    PERSONAL_DATA = "personal_data"
    ILLEGAL = "illegal"
    OTHER = "other"


GROUNDS_LABELS: dict[Grounds, str] = {
    Grounds.GUIDELINES_MET: N_("Within the community guidelines"),
    Grounds.INSULT: N_("Insults or harassment of a person"),
    Grounds.HATE: N_("Hate or dehumanisation of a group"),
    Grounds.THREAT: N_("Threat or incitement to violence"),
    Grounds.SPAM: N_("Spam, advertising or repeated posting"),
    Grounds.OFF_TOPIC: N_("Off topic or disruptive"),
    Grounds.PERSONAL_DATA: N_("Exposes someone's personal data"),
    Grounds.ILLEGAL: N_("Unlawful content"),
    Grounds.OTHER: N_("Other ground (explained below)"),
}


class BanKind(enum.StrEnum):
    """What a ban is keyed on: a guest's reader key, an e-mail hash or an account."""

    READER = "reader"
    EMAIL = "email"
    ACCOUNT = "account"


@dataclass(frozen=True, slots=True)
class Ban:
    id: int
    site_id: int
    kind: BanKind
    value: str
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    lifted_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.lifted_at is None and (self.expires_at is None or self.expires_at > now)


#: The name automated decisions are logged under (no staff account made them).
AUTOMATED_ACTOR = "rostra"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAuditEntry:
    """One decision and its statement of reasons, as it is written to the audit log.

    ``actor_id`` is ``None`` for automated ones. Build it with :meth:`by_staff` or
    :meth:`automated`, which say who decided.
    """

    site_id: int
    action: DeskAction
    actor_id: int | None
    actor_name: str
    created_at: datetime
    comment_id: int | None = None
    comment_public_id: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    grounds: str | None = None
    explanation: str = ""
    # Facts behind the decision (scores, deciding phase, ban length): a JSON object.
    detail: str = "{}"

    @classmethod
    def by_staff(
        cls, staff: StaffAccount, site_id: int, action: DeskAction, at: datetime, **facts: Any
    ) -> NewAuditEntry:
        """A staff member's decision; ``facts`` are the optional fields by name."""
        return cls(
            site_id=site_id,
            action=action,
            actor_id=staff.id,
            actor_name=staff.display_name,
            created_at=at,
            **facts,
        )

    @classmethod
    def automated(
        cls, site_id: int, action: DeskAction, at: datetime, **facts: Any
    ) -> NewAuditEntry:
        """Rostra's own decision (moderation's, on a new or edited comment)."""
        return cls(
            site_id=site_id,
            action=action,
            actor_id=None,
            actor_name=AUTOMATED_ACTOR,
            created_at=at,
            **facts,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry(NewAuditEntry):
    """A decision as the audit log keeps it: with its number in the log."""

    id: int


@dataclass(frozen=True, slots=True)
class DeskComment:
    """A comment as a moderator sees it: with its thread, moderation record and reports."""

    comment: Comment
    thread: Thread
    email_hash: str | None
    moderation: str | None
    open_reports: int
    report_reasons: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuthorRecord:
    """What the desk shows of a comment's author: how their comments fared, and bans.

    (Not moderation's ``AuthorHistory``, the outcome counts its history phase reads.)"""

    by_status: dict[str, int]
    recent: list[DeskComment]
    bans: list[Ban]


def ban_keys(
    reader_key: str | None, account_id: int | None, email_hash: str | None
) -> list[tuple[BanKind, str]]:
    """Every key a ban on this author could be recorded under."""
    keys: list[tuple[BanKind, str]] = []
    if reader_key:
        keys.append((BanKind.READER, reader_key))
    if account_id is not None:
        keys.append((BanKind.ACCOUNT, str(account_id)))
    if email_hash:
        keys.append((BanKind.EMAIL, email_hash))
    return keys
