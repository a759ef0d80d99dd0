"""A classifier whose score is written in the comment, for testing the evaluation's arithmetic.

``TextScores`` reads the toxicity from a ``[0.73]`` at the end of the text (0 without one), and
holds from 0.5: a hand-made labelled set then has known scores, so every figure ``rostra
moderation eval`` prints of it (ROC-AUC, subgroup AUC, civil held, targets met) can be worked
out by hand and compared.
"""

from __future__ import annotations

import re

from rostra.moderation.classifier import CATEGORIES

_SCORE = re.compile(r"\[(\d(?:\.\d+)?)\]\s*$")


class TextScores:
    name = "text-scores"
    threshold = 0.5

    def score(self, text: str, language: str | None = None) -> dict[str, float]:
        found = _SCORE.search(text)
        scores = dict.fromkeys(CATEGORIES, 0.0)
        scores["toxicity"] = float(found.group(1)) if found else 0.0
        return scores


SETTINGS = '{"toxicity": {"classifier": "tests.moderation.eval_plugins:TextScores"}}'
