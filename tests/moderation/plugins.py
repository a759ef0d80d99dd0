"""Alternative classifiers a site can name in its settings, to prove they plug in by dotted path.

``KeywordClassifier`` is a real (if simple) classifier: it flags comments about one topic. It
stands for "a newsroom's own model" in the tests.
"""

from __future__ import annotations


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


NOT_A_CLASSIFIER = 42
