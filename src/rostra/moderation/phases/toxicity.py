"""Toxicity: a local classifier scores the comment; the site's thresholds hold or reject it.

The classifier is an interface (:class:`rostra.moderation.classifier.ToxicityClassifier`): any
object with ``score(text, language) -> {category: probability}``. A site picks one with the
setting ``moderation.toxicity.classifier``, a dotted path ``"package.module:name"`` to such an
object, a class or a factory function (called without arguments), so another model plugs in
without code changes. Unset, the shipped multilingual model runs, on CPU, in this process.

Scores just under the hold threshold are the *borderline band* (``moderation.toxicity.borderline``,
``{"from": 0.30, "action": "flag"}`` by default): the site maps them to ``publish`` (as if the
band were not there), ``flag`` (published at once, and listed in the desk's "To review" queue, the
record saying why in ``review``) or ``hold``. See docs/moderation.md for why the default flags.
"""

from __future__ import annotations

import enum
import importlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rostra.domain.errors import N_
from rostra.moderation.classifier import CATEGORIES, ToxicityClassifier, load_default_classifier
from rostra.moderation.phases import _config as c
from rostra.moderation.record import Action, ModerationRecord, PolicyError, Submission, Verdict

#: Reject outright at or above this toxicity. rostra-toxicity-v1.1 is sharper than v1: on the dev
#: split, 0.97 would reject 0.40 % of civil comments (v1: 0.25 %); 0.99 rejects 0.10 % of civil and
#: 13 % of abusive ones (v1 at 0.97: 21 %), the rest being held for review. rostra-toxicity-v1.2
#: on the shipped held-out set: no civil comment of 539 rejected, 9 of 470 abusive ones.
DEFAULT_REJECT = 0.99
_FALLBACK_THRESHOLD = 0.5
#: Very short comments give the classifier little to go on and it scores neutral ones near its
#: threshold ("what a day", "comment 1"). On 4,207 held-out real comments of at most five words,
#: holding them from 0.5 instead of the model's 0.39 kept F1 (0.764 -> 0.775) and cut the civil
#: ones held by a third (33 % -> 21 %) (test, dev and transfer splits of the training corpus,
#: model rostra-toxicity-v1.1, not measured again for v1.2; see training/NOTES.md for the splits).
DEFAULT_SHORT_WORDS = 5
DEFAULT_SHORT_HOLD = 0.5
#: The borderline band starts here by default. On the shipped held-out set (1,009 comments,
#: rostra-toxicity-v1.2) the band from 0.30 to the hold threshold (the model's own for the
#: comment's language, 0.43 to 0.63; 0.5 for short comments) takes 16.0 % of all comments; it
#: catches 76 of the 142 abusive comments the pipeline publishes (54 %), against 85 of 463
#: published civil ones (18 %). Flagging them keeps them visible, so readers see no more delay
#: than today, while a moderator looks at the half of missed abuse that sits there.
DEFAULT_BORDERLINE_FROM = 0.30
_WORD_RE = re.compile(r"\w+")

_LOCK = threading.Lock()
_LOADED: dict[str, ToxicityClassifier] = {}


def load_classifier(path: str | None) -> ToxicityClassifier:
    """The classifier at ``path`` (``"module:name"`` or ``"module.name"``), once per process.

    ``None`` or ``""`` is the shipped model. Raises :class:`PolicyError` when the path does not
    lead to an object with a ``score`` method.
    """
    if not path:
        return load_default_classifier()
    with _LOCK:
        found = _LOADED.get(path)
        if found is None:
            found = _import(path)
            _LOADED[path] = found
    return found


def _import(path: str) -> ToxicityClassifier:
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise PolicyError(f"moderation.toxicity.classifier {path!r} is not module:name")
    try:
        module = importlib.import_module(module_name)
        target: Any = getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise PolicyError(
            f"moderation.toxicity.classifier {path!r} cannot be loaded: {type(exc).__name__}"
        ) from exc
    obj: Any = target
    if not hasattr(obj, "score") or isinstance(obj, type):
        if not callable(obj):
            raise PolicyError(f"moderation.toxicity.classifier {path!r} has no score method")
        obj = obj()
    if not callable(getattr(obj, "score", None)):
        raise PolicyError(f"moderation.toxicity.classifier {path!r} has no score method")
    if not hasattr(obj, "name"):
        obj.name = path
    classifier: ToxicityClassifier = obj
    return classifier


class BandAction(enum.StrEnum):
    """What the site does with a comment whose toxicity falls in the borderline band."""

    PUBLISH = "publish"
    FLAG = "flag"
    HOLD = "hold"


@dataclass(frozen=True, slots=True)
class BorderlineConfig:
    """The band ``[start, hold)`` of toxicity scores just under the hold threshold."""

    start: float = DEFAULT_BORDERLINE_FROM
    action: BandAction = BandAction.FLAG
    #: The site set ``from`` itself: one at or above the hold threshold is then an error (the
    #: default start under a lower ``hold`` only leaves the band empty).
    explicit: bool = False

    @classmethod
    def from_value(cls, value: object) -> BorderlineConfig:
        where = "toxicity.borderline"
        if value is False:
            return cls(action=BandAction.PUBLISH)
        if value is None or value is True:
            return cls()
        if not isinstance(value, Mapping):
            raise PolicyError(f"moderation.{where} must be an object or false")
        c.check_keys(value, where, {"from", "action"})
        raw = value.get("action", BandAction.FLAG.value)
        try:
            action = BandAction(raw) if isinstance(raw, str) else None
        except ValueError:
            action = None
        if action is None:
            choices = ", ".join(a.value for a in BandAction)
            raise PolicyError(f"moderation.{where}.action must be one of {choices}")
        start = c.number(value, "from", where, DEFAULT_BORDERLINE_FROM, 0.0, 1.0)
        return cls(start=start, action=action, explicit="from" in value)

    def check(self, hold: float) -> None:
        """Refuse a band that starts at or above the hold threshold ``hold``."""
        if self.explicit and self.action is not BandAction.PUBLISH and self.start >= hold:
            raise PolicyError(
                f"moderation.toxicity.borderline.from ({self.start:.2f}) must be below the hold "
                f"threshold ({hold:.2f})"
            )


@dataclass(frozen=True, slots=True)
class ToxicityConfig:
    enabled: bool = True
    classifier: str = ""
    #: Hold at or above this toxicity; ``None``: the classifier's own ``threshold``.
    hold: float | None = None
    #: Reject at or above this toxicity; ``None``: never reject on toxicity alone.
    reject: float | None = DEFAULT_REJECT
    #: Hold when a category score reaches its value, e.g. ``{"threat": 0.3}``.
    categories: Mapping[str, float] = field(default_factory=dict)
    #: Comments of at most ``short_words`` words are held from ``short_hold`` (when higher than
    #: ``hold``); ``short_hold: null`` treats them like the others.
    short_words: int = DEFAULT_SHORT_WORDS
    short_hold: float | None = DEFAULT_SHORT_HOLD
    borderline: BorderlineConfig = field(default_factory=BorderlineConfig)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> ToxicityConfig:
        where = "toxicity"
        c.check_keys(
            data,
            where,
            {
                "enabled",
                "classifier",
                "hold",
                "reject",
                "categories",
                "short_words",
                "short_hold",
                "borderline",
            },
        )
        cats = c.section(data, "categories") if "categories" in data else {}
        categories = {}
        for name in cats:
            if name not in CATEGORIES:
                known = ", ".join(CATEGORIES)
                raise PolicyError(f"moderation.toxicity.categories: {name!r} is not one of {known}")
            categories[name] = c.number(cats, name, "toxicity.categories", 0.5, 0.0, 1.0)
        reject = (
            c.optional_number(data, "reject", where, 0.0, 1.0)
            if "reject" in data
            else DEFAULT_REJECT
        )
        short_hold = (
            c.optional_number(data, "short_hold", where, 0.0, 1.0)
            if "short_hold" in data
            else DEFAULT_SHORT_HOLD
        )
        hold = c.optional_number(data, "hold", where, 0.0, 1.0)
        borderline = BorderlineConfig.from_value(data.get("borderline"))
        if hold is not None:
            borderline.check(hold)
        return cls(
            enabled=c.flag(data, "enabled", where, True),
            classifier=c.text(data, "classifier", where),
            hold=hold,
            reject=reject,
            categories=categories,
            short_words=c.integer(data, "short_words", where, DEFAULT_SHORT_WORDS, 0, 100),
            short_hold=short_hold,
            borderline=borderline,
        )


class Toxicity:
    name = "toxicity"

    def __init__(
        self,
        config: ToxicityConfig,
        loader: Callable[[str | None], ToxicityClassifier] = load_classifier,
    ) -> None:
        self.config = config
        self.classifier = loader(config.classifier or None)
        threshold = getattr(self.classifier, "threshold", None)
        default = float(threshold) if isinstance(threshold, int | float) else _FALLBACK_THRESHOLD
        self.hold = config.hold if config.hold is not None else default
        config.borderline.check(self.hold)
        # The classifier's thresholds per language (calibrated so each language holds about the
        # same share of its civil comments), used when the site sets no ``hold`` of its own.
        self.holds: dict[str, float] = {}
        if config.hold is None:
            found = getattr(self.classifier, "thresholds", None)
            if isinstance(found, Mapping):
                self.holds = {
                    str(lang): float(v)
                    for lang, v in found.items()
                    if isinstance(v, int | float) and 0.0 < v <= 1.0
                }

    def hold_for(self, language: str | None) -> float:
        """The hold threshold for a comment in ``language`` (``None``: not identified)."""
        if language is not None and language in self.holds:
            return self.holds[language]
        return self.hold

    def __call__(self, submission: Submission, record: ModerationRecord) -> Verdict | None:
        cfg = self.config
        if not cfg.enabled:
            return None
        raw = self.classifier.score(submission.scanned, record.language)
        scores = {k: float(v) for k, v in raw.items() if isinstance(v, int | float)}
        if not scores or not all(0.0 <= v <= 1.0 for v in scores.values()):
            return Verdict(Action.HOLD, "the toxicity classifier gave no usable scores")
        record.scores.update(scores)
        tox = scores.get("toxicity", max(scores.values()))
        if cfg.reject is not None and tox >= cfg.reject:
            return Verdict(
                Action.REJECT,
                f"toxicity {tox:.2f} at or above the reject threshold {cfg.reject:.2f}",
                message=N_(
                    "Your comment was not published because of its tone. You are welcome to "
                    "make your point again without insults or attacks."
                ),
            )
        hold = self.hold_for(record.language)
        # Say whose threshold it was when it is the language's own.
        where = f" for {record.language}" if record.language in self.holds else ""
        if (
            cfg.short_hold is not None
            and cfg.short_hold > hold
            and len(_WORD_RE.findall(submission.normalized[:2000])) <= cfg.short_words
        ):
            hold = cfg.short_hold
            where = ""
        if tox >= hold:
            return Verdict(Action.HOLD, f"toxicity {tox:.2f} at or above {hold:.2f}{where}")
        for name, limit in cfg.categories.items():
            value = scores.get(name, 0.0)
            if value >= limit:
                return Verdict(Action.HOLD, f"{name} {value:.2f} at or above {limit:.2f}")
        return self._borderline(tox, hold, record)

    def _borderline(self, tox: float, hold: float, record: ModerationRecord) -> Verdict | None:
        band = self.config.borderline
        if band.action is BandAction.PUBLISH or not band.start <= tox < hold:
            return None
        where = f"toxicity {tox:.2f} in the borderline band {band.start:.2f} to {hold:.2f}"
        record.facts["borderline"] = band.action.value
        if band.action is BandAction.HOLD:
            return Verdict(Action.HOLD, f"{where}: the site holds it")
        record.review = f"{where}: published, for a moderator to review"
        return None
