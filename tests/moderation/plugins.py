"""Alternative classifiers a site can name in its settings, to prove they plug in by dotted path.

``KeywordClassifier`` is a real (if simple) classifier: it flags comments about one topic. It
stands for "a newsroom's own model" in the tests. ``FixedScores`` (named in settings with
:func:`fixed`) scores every comment alike, so the tests of the toxicity rules do not depend on
what the shipped model makes of a sentence.
"""

from __future__ import annotations

from rostra.moderation.classifier import CATEGORIES


class KeywordClassifier:
    """Scores a comment 0.99 when it mentions pineapples on pizza, else 0.01."""

    name = "keyword-pineapple"
    threshold = 0.5

    def score(self, text: str, language: str | None = None) -> dict[str, float]:
        hit = "pineapple" in text.lower()
        value = 0.99 if hit else 0.01
        return {
            "toxicity": value,
            "insult": value / 2,
            "identity_attack": 0.0,
            "threat": 0.0,
            "sexual": 0.0,
            "profanity": 0.0,
        }


def make_keyword_classifier() -> KeywordClassifier:
    """A factory function works as well as a class."""
    return KeywordClassifier()


class BrokenScores:
    """Answers with values outside [0, 1]: the pipeline must hold, not publish."""

    name = "broken"

    def score(self, text: str, language: str | None = None) -> dict[str, float]:
        return {"toxicity": float("nan")}


class FixedScores:
    """Gives every comment the same scores, whatever its words.

    The rule tests plug it in so that they say "toxicity 0.95 is rejected" and not "this
    sentence is rejected": what the shipped model makes of a sentence changes when it is
    retrained, the rules do not.
    """

    def __init__(self, toxicity: float, *, threshold: float = 0.5, **categories: float) -> None:
        self.name = f"fixed-{toxicity}"
        #: The toxicity phase holds from here unless the site sets ``hold``.
        self.threshold = threshold
        self._scores = dict.fromkeys(CATEGORIES, 0.0)
        self._scores.update(categories)
        self._scores["toxicity"] = toxicity

    def score(self, text: str, language: str | None = None) -> dict[str, float]:
        return dict(self._scores)


def fixed(toxicity: float, *, threshold: float = 0.5, **categories: float) -> str:
    """The ``moderation.toxicity.classifier`` setting of a :class:`FixedScores` classifier.

    Each distinct set of scores gets its own module attribute, so the path names it and the
    phase's cache of loaded classifiers (keyed by path) never mixes two of them up.
    """
    parts = {"toxicity": toxicity, "threshold": threshold, **categories}
    key = "fixed__" + "__".join(f"{k}_{v}" for k, v in sorted(parts.items())).replace(".", "_")
    globals().setdefault(key, FixedScores(toxicity, threshold=threshold, **categories))
    return f"{__name__}:{key}"


NOT_A_CLASSIFIER = 42
