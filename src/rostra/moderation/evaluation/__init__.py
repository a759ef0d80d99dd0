"""Evaluation of the moderation pipeline: what ``rostra moderation eval`` measures and reports.

Each set runs through a site's content phases, one comment at a time, and is reported by the
module named for it: :mod:`.toxicity` (the labelled held-out set, per language, per source and
for news-style comments), :mod:`.functional` (HateCheck functional tests per category),
:mod:`.bias` (identity-term bias, with the word lists of :mod:`.identity_terms`), :mod:`.spam`
(the spam set), :mod:`.targets` (issue 11's targets, met or missed) and :mod:`.report` (every
section as text and JSON). The names used outside the package are re-exported here.
"""

from rostra.moderation.evaluation.common import roc_auc
from rostra.moderation.evaluation.functional import load_functional
from rostra.moderation.evaluation.report import Report, build
from rostra.moderation.evaluation.spam import (
    SPLITS,
    SpamMetrics,
    SpamOutcome,
    SpamRow,
    load_spam,
    run_spam,
    spam_by_group,
    spam_markdown,
    spam_metrics,
)
from rostra.moderation.evaluation.toxicity import (
    Labelled,
    Metrics,
    Outcome,
    by_group,
    by_source,
    content_pipeline,
    load,
    markdown,
    metrics,
    run,
)

__all__ = [
    "SPLITS",
    "Labelled",
    "Metrics",
    "Outcome",
    "Report",
    "SpamMetrics",
    "SpamOutcome",
    "SpamRow",
    "build",
    "by_group",
    "by_source",
    "content_pipeline",
    "load",
    "load_functional",
    "load_spam",
    "markdown",
    "metrics",
    "roc_auc",
    "run",
    "run_spam",
    "spam_by_group",
    "spam_markdown",
    "spam_metrics",
]
