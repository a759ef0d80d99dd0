"""The audit log in words (issue 7, item 19): every kind of fact becomes labelled plain text,
in the moderator's language, and no entry reads as a Python or JSON value."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from rostra.domain.desk import AuditEntry, DeskAction
from rostra.i18n import translations
from rostra.web.desk.wording import audit_facts, decision_text

EN = translations("en")


def entry(action: DeskAction, detail: object, before: str | None, after: str | None) -> AuditEntry:
    return AuditEntry(
        id=1,
        site_id=1,
        action=action,
        actor_id=7,
        actor_name="Mo",
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
        from_status=before,
        to_status=after,
        detail=json.dumps(detail),
    )


def facts(e: AuditEntry) -> list[tuple[str, str]]:
    return audit_facts(e, EN.gettext, EN.ngettext)


@pytest.mark.parametrize(
    ("action", "before", "after", "text"),
    [
        (DeskAction.APPROVE, "pending", "published", "Approved (pending → published)"),
        (DeskAction.APPROVE, "published", "published", "Approved (kept published)"),
        (DeskAction.SPAM, "spam", "spam", "Marked as spam (kept as spam)"),
        (DeskAction.BAN, "rejected", "rejected", "Author banned (kept rejected)"),
        (DeskAction.AUTO_HOLD, None, "pending", "Held for review by the checks"),
        (DeskAction.LIFT_BAN, None, None, "Ban lifted"),
    ],
)
def test_a_decision_says_what_happened(
    action: DeskAction, before: str | None, after: str | None, text: str
) -> None:
    assert decision_text(entry(action, {}, before, after), EN.gettext) == text


def test_human_decisions_facts() -> None:
    bans = [{"id": 4, "kind": "reader", "days": 1}, {"id": 5, "kind": "email", "days": None}]
    ban = entry(DeskAction.BAN, {"resolved_reports": 2, "bans": bans}, "published", "rejected")
    assert facts(ban) == [
        ("Bans recorded", "reader token, 1 day; e-mail address, permanent"),
        ("Reader reports resolved", "2"),
    ]
    again = entry(DeskAction.BAN, {"resolved_reports": 0, "bans": []}, "rejected", "rejected")
    assert facts(again) == [("Bans recorded", "none new (already banned)")]
    lifted = entry(DeskAction.LIFT_BAN, {"ban": 5, "kind": "email"}, None, None)
    assert facts(lifted) == [("Ban", "#5 (e-mail address)")]


def test_the_checks_record_and_unknown_facts_read_as_plain_text() -> None:
    record = {
        "verdict": "reject",
        "phase": "word_lists",
        "reason": "said already in the explanation",
        "language": "fr",
        "scores": {"toxicity": 0.912, "spam": 0},
        "facts": {"first_time": True, "word_list": "reject", "new_measure": [1, 2]},
        "verdicts": [{"phase": "word_lists", "action": "reject", "reason": "x"}],
        "from_a_newer_version": {"nested": False, "n": None},
    }
    shown = facts(entry(DeskAction.AUTO_REJECT, record, None, "rejected"))
    assert shown == [
        ("Verdict of the checks", "reject"),
        ("Decided by the check", "word_lists"),
        ("Each check", "word_lists: reject"),
        ("Scores", "spam 0.00, toxicity 0.91"),
        ("Language", "fr"),
        ("First comment on this site", "yes"),
        ("new measure", "1, 2"),
        ("Word list", "reject"),
        ("from a newer version", "nested no, n –"),
    ]
    text = " ".join(f"{k} {v}" for k, v in shown)
    for raw in ("{", "[", "'", '"', "True", "False", "None"):
        assert raw not in text


def test_a_broken_detail_shows_no_facts() -> None:
    broken = AuditEntry(
        id=1,
        site_id=1,
        action=DeskAction.APPROVE,
        actor_id=7,
        actor_name="Mo",
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert audit_facts(broken, EN.gettext, EN.ngettext) == []
    not_json = replace(broken, detail="[oops")
    assert audit_facts(not_json, EN.gettext, EN.ngettext) == []
