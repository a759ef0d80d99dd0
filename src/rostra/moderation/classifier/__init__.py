"""Local, offline, multilingual toxicity classification for the moderation pipeline.

Use :func:`load_default_classifier` to get the shipped model (loaded lazily, once
per process) and call ``score(text)``; every score is in ``[0, 1]`` under the keys
of :data:`CATEGORIES`.  A comment whose ``toxicity`` is at or above the model's
``threshold`` should be held for review.
"""

from __future__ import annotations

from typing import Final, Protocol, runtime_checkable

CATEGORIES: Final[tuple[str, ...]] = (
    "toxicity",
    "insult",
    "identity_attack",
    "threat",
    "sexual",
    "profanity",
)


@runtime_checkable
class ToxicityClassifier(Protocol):
    """What the moderation pipeline needs from a toxicity model."""

    name: str

    def score(self, text: str, language: str | None = None) -> dict[str, float]:
        """Scores in ``[0, 1]`` for every key of :data:`CATEGORIES`."""
        ...


from rostra.moderation.classifier.linear import (  # noqa: E402
    LinearToxicityClassifier,
    load_default_classifier,
)

__all__ = [
    "CATEGORIES",
    "LinearToxicityClassifier",
    "ToxicityClassifier",
    "load_default_classifier",
]
