"""Spam signals: link-heavy text, shouting, walls of one character or phrase, sales and contacts.

Each signal gives a strength in ``[0, 1]``; they combine as independent evidence
(``1 - prod(1 - s)``) into the ``spam`` score, and a comment at or above ``hold`` is held. One
weak signal (a comment in capitals, two links) never holds on its own; a wall of a single
character, or a sales pitch with a link and a phone number, does.

The trained spam model (:mod:`rostra.moderation.classifier.spam_model`) is one more signal,
``model``: at or above its calibrated threshold it holds alone; below, it adds up to
:data:`MODEL_SUPPORT` to the rules' evidence, so a weak rule and a fairly confident model
together hold. Its probability is kept in the record as ``spam_model``. A spam hold is the spam
phase's own verdict (the desk's spam queue), never a toxicity one.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from rostra.moderation.classifier.spam_model import SpamModel, load_spam_model
from rostra.moderation.phases import _config as c
from rostra.moderation.phases.links import domain_of, find_links
from rostra.moderation.phases.spam_rules import commercial_signals, trades_of
from rostra.moderation.record import Action, ModerationRecord, Submission, Verdict

# Phrases of commercial or scam spam, matched on the normalised text (lower case, no accents).
# Written for Rostra; a site adds its own through the suspect word list.
_PATTERNS: Final = re.compile(
    r"\b(?:"
    r"buy now|order now|click here|visit my (?:site|profile|page)|check out my (?:site|profile)|"
    r"work(?:ing)? from home|earn \$?\d+|make \$?\d+ (?:a|per) (?:day|week|hour)|"
    r"free (?:gift|money|bitcoin|crypto)|crypto ?giveaway|double your (?:money|bitcoin)|"
    r"(?:cheap|discount) (?:pills|viagra|cialis|meds|watches|followers)|viagra|cialis|"
    r"online casino|casino bonus|sports betting tips|payday loans?|"
    r"(?:whatsapp|telegram|viber) (?:me|us|at|\+)|dm me|message me on|"
    r"gagnez \d+|travail a domicile|cliquez ici|"
    r"jetzt kaufen|geld verdienen von zu hause|hier klicken|"
    r"gana \d+|trabaja desde casa|haz clic aqui|"
    r"заработок (?:в интернете|без вложений)|пиши в (?:телеграм|личку)|"
    r"اربح \d+|اضغط هنا"
    r")",
    re.IGNORECASE,
)
_PHONE_RE: Final = re.compile(r"(?:\+|\b00)\d[\d\s().-]{8,16}\d\b")
# Bounded repeats keep these linear on long runs of letters and dots.
_EMAIL_RE: Final = re.compile(r"\b[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}\b")
_RUN_RE: Final = re.compile(r"(\S)\1{9,}")
_INVISIBLE_RE: Final = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")


def _compressed_share(text: str) -> float:
    raw = text.encode("utf-8")
    return len(zlib.compress(raw, 6)) / len(raw)


def signals(
    text: str, normalized: str, links: int, hosts: list[str] | None = None
) -> dict[str, float]:
    """The strength of each spam signal in ``text`` (only those present).

    ``hosts`` are the domains of the links in ``text`` (found here when not given).
    """
    if hosts is None:
        hosts = [domain_of(link) for link in find_links(text)]
    out: dict[str, float] = commercial_signals(text, normalized, hosts, links)
    letters = [ch for ch in text if ch.isalpha()]
    n = len(text.strip())
    if links >= 2:
        # Two links are normal in a discussion; many, or links with hardly any words, are not.
        words = max(1, len(normalized.split()))
        out["links"] = min(1.0, 0.25 * (links - 1) + (0.4 if words < 8 * links else 0.0))
    if len(letters) >= 24:
        cased = [ch for ch in letters if ch.lower() != ch.upper()]
        if cased and sum(ch.isupper() for ch in cased) / len(cased) >= 0.8:
            out["capitals"] = 0.4
    run = max((len(m.group(0)) for m in _RUN_RE.finditer(text[:20_000])), default=0)
    if run:
        out["repeats"] = min(1.0, 0.3 + (run - 10) / 20)
    if n >= 40:
        # A wall of one phrase or a keyboard mash, not a long comment: a share of distinct
        # characters would hold any long prose (it uses some 40 characters however long it
        # is), so repetition is judged by how far the text compresses. Prose keeps a third or
        # more of its size; a phrase pasted a hundred times keeps under 2%.
        sample = text[:5000]
        if len(set(sample)) <= 3 or (n >= 200 and _compressed_share(sample) < 0.1):
            out["repeats"] = 1.0
    hits = len(_PATTERNS.findall(normalized))
    if hits:
        # The commercial signals weigh a pitch's words and whether it says where to go; a
        # stock phrase alone ("click here", quoted from an advert) is weak evidence.
        out["patterns"] = min(1.0, (0.45 if "offer" in out else 0.2) * hits)
    contacts = len(_PHONE_RE.findall(text)) + len(_EMAIL_RE.findall(text))
    if contacts:
        out["contacts"] = min(0.8, 0.35 * contacts)
    invisible = len(_INVISIBLE_RE.findall(text))
    if invisible >= 3:
        # Zero-width characters hide words from filters; a few happen by accident.
        out["invisible"] = min(0.8, 0.1 * invisible)
    return out


#: The most the model adds below its threshold: with a rule of 0.6 (an offer that says where
#: to go) a model at its threshold's edge reaches the default hold; alone it never does.
MODEL_SUPPORT: Final = 0.5


def model_strength(probability: float, threshold: float, hold: float) -> float:
    """The ``model`` signal's strength: ``hold`` at or above ``threshold``, else a share of
    :data:`MODEL_SUPPORT` in proportion."""
    if probability >= threshold:
        return hold
    return MODEL_SUPPORT * probability / threshold


def combine(strengths: Mapping[str, float]) -> float:
    rest = 1.0
    for s in strengths.values():
        rest *= 1.0 - max(0.0, min(1.0, s))
    return 1.0 - rest


@dataclass(frozen=True, slots=True)
class SpamConfig:
    enabled: bool = True
    hold: float = 0.8
    #: Whether the trained spam model adds its evidence to the rules.
    model: bool = True

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> SpamConfig:
        c.check_keys(data, "spam", {"enabled", "hold", "model"})
        return cls(
            enabled=c.flag(data, "enabled", "spam", True),
            hold=c.number(data, "hold", "spam", 0.8, 0.0, 1.0),
            model=c.flag(data, "model", "spam", True),
        )


class Spam:
    name = "spam"

    def __init__(self, config: SpamConfig, model: SpamModel | None = None) -> None:
        self.config = config
        #: The trained model (the shipped one unless given); ``None`` when the site turned it
        #: off. A broken artefact fails here, at start, rather than quietly scoring by rules.
        self.model: SpamModel | None = None
        if config.enabled and config.model:
            self.model = model if model is not None else load_spam_model()

    def __call__(self, submission: Submission, record: ModerationRecord) -> Verdict | None:
        if not self.config.enabled:
            return None
        links = record.facts.get("links", 0)
        hosts = [domain_of(link) for link in find_links(submission.scanned)]
        found = signals(submission.scanned, submission.normalized, int(links), hosts)
        if self.model is not None:
            p = self.model.probability(submission.scanned)
            record.scores["spam_model"] = p
            if p > 0.0:
                strength = model_strength(p, self.model.threshold, self.config.hold)
                # Alone, without one rule's sign of selling (a link, a contact, money, a
                # trade's words, shouting), the model only supports: it held "from a script"
                # (0.57), and a comment that sells nothing and says where to go nowhere is no
                # spam a reader can act on.
                found["model"] = strength if any(found.values()) else min(strength, MODEL_SUPPORT)
        score = combine(found)
        record.scores["spam"] = score
        if score >= self.config.hold:
            names = ", ".join(sorted(found))
            trades = trades_of(submission.normalized)
            sold = f"; sells: {', '.join(trades)}" if trades else ""
            return Verdict(Action.HOLD, f"spam signals ({names}) score {score:.2f}{sold}")
        return None
