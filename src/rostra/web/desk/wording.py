"""The audit log in words: a decision and the facts behind it as labelled, translated text.

An audit entry keeps its facts as a JSON object (reports resolved, bans made, the automated
checks' record). Moderators read them here, never as a raw dict: each known fact gets a label
and a readable value, and an unknown one (from a newer version, say) is still shown as plain
"name: value" text rather than as Python or JSON syntax.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from rostra.domain.desk import AuditEntry, DeskAction
from rostra.domain.errors import N_
from rostra.domain.funding import plain_amount

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]

ACTION_LABELS: dict[DeskAction, str] = {
    DeskAction.APPROVE: N_("Approved"),
    DeskAction.REJECT: N_("Rejected"),
    DeskAction.SPAM: N_("Marked as spam"),
    DeskAction.BAN: N_("Author banned"),
    DeskAction.LIFT_BAN: N_("Ban lifted"),
    DeskAction.EDIT_THREAD: N_("Thread title or address changed"),
    DeskAction.AUTO_HOLD: N_("Held for review by the checks"),
    DeskAction.AUTO_REJECT: N_("Rejected by the checks"),
    DeskAction.WEBHOOK_ADD: N_("Webhook endpoint added"),
    DeskAction.WEBHOOK_EDIT: N_("Webhook endpoint changed"),
    DeskAction.WEBHOOK_ENABLE: N_("Webhook endpoint enabled"),
    DeskAction.WEBHOOK_DISABLE: N_("Webhook endpoint disabled"),
    DeskAction.WEBHOOK_AUTO_DISABLE: N_("Webhook endpoint disabled after repeated failures"),
    DeskAction.WEBHOOK_DELETE: N_("Webhook endpoint deleted"),
    DeskAction.WEBHOOK_ROTATE: N_("Webhook endpoint given a new secret"),
    DeskAction.CAMPAIGN_ADD: N_("Funding campaign added"),
    DeskAction.CAMPAIGN_EDIT: N_("Funding campaign changed"),
    DeskAction.CAMPAIGN_CLOSE: N_("Funding campaign closed"),
    DeskAction.CAMPAIGN_REOPEN: N_("Funding campaign reopened"),
    DeskAction.DONATION_RECORD: N_("Offline donation recorded"),
}

WEBHOOK_ACTIONS = frozenset(a for a in DeskAction if a.value.startswith("webhook_"))
FUNDING_ACTIONS = frozenset(a for a in DeskAction if a.value.startswith(("campaign_", "donation_")))

# What a campaign change or an offline donation records (rostra.storage.funding).
FUNDING_FACT_LABELS = {
    "campaign": N_("Campaign"),
    "title": N_("Title"),
    "goal": N_("Goal"),
    "goal_type": N_("The goal counts"),
    "currency": N_("Currency"),
    "starts_on": N_("From (optional)"),
    "ends_on": N_("To (optional)"),
    "ticks": N_("Ticks (optional, comma-separated)"),
    "method": N_("How it came"),
    "date": N_("Received on"),
    "key": N_("Key"),
}

# What a change to a webhook endpoint records (never its secret).
WEBHOOK_FACT_LABELS = {
    "endpoint": N_("Webhook endpoint"),
    "url": N_("Address"),
    "events": N_("Events"),
    "failures": N_("Failed deliveries in a row"),
    "last_error": N_("Last error"),
}

# A status inside a sentence ("pending → published").
STATUS_WORDS = {
    "published": N_("published"),
    "pending": N_("pending"),
    "rejected": N_("rejected"),
    "spam": N_("spam"),
}

# A decision that left the status as it was (it resolved reports, or banned the author): what
# happened to the comment, rather than a "published → published" that reads like a change.
KEPT_WORDS = {
    "published": N_("kept published"),
    "pending": N_("kept pending"),
    "rejected": N_("kept rejected"),
    "spam": N_("kept as spam"),
}

BAN_KIND_WORDS = {
    "reader": N_("reader token"),
    "email": N_("e-mail address"),
    "account": N_("account"),
}

# What a change to a thread records: its id, and the title and address before and after.
THREAD_FACT_LABELS = {
    "thread": N_("Thread"),
    "title": N_("Title"),
    "url": N_("Article address"),
}

VERDICT_WORDS = {"publish": N_("publish"), "hold": N_("hold"), "reject": N_("reject")}

# The facts the moderation checks note down (see rostra.moderation.phases).
CHECK_FACT_LABELS = {
    "links": N_("Links"),
    "first_time": N_("First comment on this site"),
    "recent_rejections": N_("Recent rejections"),
    "duplicate_of": N_("Repeats a comment by"),
    "word_list": N_("Word list"),
    "rate_limited": N_("Rate limit reached"),
    "ms": N_("Time the checks took (ms)"),
    "borderline": N_("Borderline band"),
}
CHECK_FACT_VALUES = {
    "same reader": N_("the same reader"),
    "another reader": N_("another reader"),
    "reject": N_("reject"),
    "suspect": N_("suspect"),
}


# The automated record's parts from the most telling to the least; other keys follow by name.
FACT_ORDER = {k: n for n, k in enumerate(["verdict", "phase", "verdicts", "scores", "language"])}


def decision_text(entry: AuditEntry, gettext: Gettext) -> str:
    """ "Approved (pending → published)", or "Approved (kept published)" when nothing moved."""
    label = ACTION_LABELS.get(entry.action)
    text = gettext(label) if label else entry.action.value
    before, after = entry.from_status, entry.to_status
    if before and after and before == after:
        kept = KEPT_WORDS.get(after)
        return f"{text} ({gettext(kept) if kept else after})"
    if before and after:
        moved = f"{_word(STATUS_WORDS, before, gettext)} → {_word(STATUS_WORDS, after, gettext)}"
        return f"{text} ({moved})"
    return text


def audit_facts(entry: AuditEntry, gettext: Gettext, ngettext: Ngettext) -> list[tuple[str, str]]:
    """The entry's facts as (label, value) pairs, both translated, in a stable order."""
    detail = json_object(entry.detail)
    facts: list[tuple[str, str]] = []
    for key in sorted(detail, key=lambda k: (FACT_ORDER.get(k, len(FACT_ORDER)), k)):
        value = detail[key]
        if key == "resolved_reports":
            if isinstance(value, int) and value:
                facts.append((gettext(N_("Reader reports resolved")), str(value)))
        elif key == "reviewed":
            facts.append((gettext(N_("Taken off the To review queue")), _plain(value, gettext)))
        elif key == "bans" and isinstance(value, list):
            made = [_ban_text(b, gettext, ngettext) for b in value if isinstance(b, dict)]
            shown = "; ".join(made) if made else gettext(N_("none new (already banned)"))
            facts.append((gettext(N_("Bans recorded")), shown))
        elif key == "ban" and entry.action is DeskAction.LIFT_BAN:
            kind = _word(BAN_KIND_WORDS, str(detail.get("kind", "")), gettext)
            facts.append((gettext(N_("Ban")), f"#{value} ({kind})" if kind else f"#{value}"))
        elif key == "kind" and entry.action is DeskAction.LIFT_BAN:
            continue  # told with the ban
        elif entry.action in WEBHOOK_ACTIONS and key in WEBHOOK_FACT_LABELS:
            shown = _change(value, gettext) if isinstance(value, dict) else _plain(value, gettext)
            facts.append((gettext(WEBHOOK_FACT_LABELS[key]), shown))
        elif entry.action in FUNDING_ACTIONS and key == "amount_minor":
            facts.append((gettext(N_("Amount")), _amount(value, detail.get("currency"))))
        elif entry.action in FUNDING_ACTIONS and key in FUNDING_FACT_LABELS:
            shown = _change(value, gettext) if isinstance(value, dict) else _plain(value, gettext)
            facts.append((gettext(FUNDING_FACT_LABELS[key]), shown))
        elif entry.action is DeskAction.EDIT_THREAD and key in THREAD_FACT_LABELS:
            facts.append((gettext(THREAD_FACT_LABELS[key]), _change(value, gettext)))
        elif key in ("reason", "message"):
            continue  # the explanation column says it already
        elif key == "verdict":
            verdict = _word(VERDICT_WORDS, value, gettext)
            facts.append((gettext(N_("Verdict of the checks")), verdict))
        elif key == "phase":
            if value:
                facts.append((gettext(N_("Decided by the check")), str(value)))
        elif key == "language":
            if value:
                facts.append((gettext(N_("Language")), str(value)))
        elif key == "scores" and isinstance(value, dict):
            if value:
                facts.append((gettext(N_("Scores")), _scores(value)))
        elif key == "facts" and isinstance(value, dict):
            facts.extend(_check_facts(value, gettext))
        elif key == "verdicts" and isinstance(value, list):
            said = [_verdict(v, gettext) for v in value if isinstance(v, dict)]
            if said:
                facts.append((gettext(N_("Each check")), "; ".join(said)))
        else:
            facts.append((key.replace("_", " "), _plain(value, gettext)))
    return facts


def _amount(minor: object, currency: object) -> str:
    """An audited amount in major units with its currency ("25.50 USD")."""
    if isinstance(minor, int) and isinstance(currency, str):
        try:
            return f"{plain_amount(minor, currency)} {currency}"
        except (ValueError, KeyError):
            pass
    return str(minor)


def _word(words: dict[str, str], value: object, gettext: Gettext) -> str:
    text = str(value) if value is not None else ""
    known = words.get(text)
    return gettext(known) if known else text


def _ban_text(ban: dict[str, Any], gettext: Gettext, ngettext: Ngettext) -> str:
    kind = _word(BAN_KIND_WORDS, ban.get("kind", ""), gettext)
    days = ban.get("days")
    if isinstance(days, int) and not isinstance(days, bool):
        length = ngettext("%(num)d day", "%(num)d days", days) % {"num": days}
    else:
        length = gettext(N_("permanent"))
    return f"{kind}, {length}"


def _change(value: object, gettext: Gettext) -> str:
    """ "“Old title” → “New title”"; an empty value (no title, no address yet) is a dash."""
    if not isinstance(value, dict):
        return _plain(value, gettext)
    ends = (value.get("from"), value.get("to"))
    return " → ".join(f"“{v}”" if isinstance(v, str) and v else "–" for v in ends)


def _scores(scores: dict[str, Any]) -> str:
    shown = []
    for name, value in sorted(scores.items()):
        number = f"{value:.2f}" if isinstance(value, int | float) else str(value)
        shown.append(f"{name.replace('_', ' ')} {number}")
    return ", ".join(shown)


def _check_facts(found: dict[str, Any], gettext: Gettext) -> list[tuple[str, str]]:
    facts = []
    for name, value in sorted(found.items()):
        label = CHECK_FACT_LABELS.get(name)
        shown = _word(CHECK_FACT_VALUES, value, gettext) if isinstance(value, str) else None
        facts.append(
            (gettext(label) if label else name.replace("_", " "), shown or _plain(value, gettext))
        )
    return facts


def _verdict(verdict: dict[str, Any], gettext: Gettext) -> str:
    phase = str(verdict.get("phase", ""))
    return f"{phase}: {_word(VERDICT_WORDS, verdict.get('action', ''), gettext)}"


def _plain(value: object, gettext: Gettext) -> str:
    """Any JSON value as readable text: no braces, quotes or ``True``."""
    if isinstance(value, bool):
        return gettext(N_("yes")) if value else gettext(N_("no"))
    if value is None:
        return "–"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_plain(v, gettext)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_plain(v, gettext) for v in value)
    return str(value)


def json_object(raw: str) -> dict[str, Any]:
    """A stored JSON object (a moderation record, an audit entry's detail), or ``{}`` when it is
    not one: what was stored by an older version must still show."""
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
