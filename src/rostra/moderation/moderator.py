"""The moderation pipeline behind the services' ``Moderator`` seam.

For each site the policy is read from its settings and a pipeline built once (rebuilt when the
settings change). ``decide`` runs it and maps the verdict onto a comment status (publish ->
published, hold -> pending, reject -> rejected, over a rate limit -> "too many requests" and
nothing stored; a published comment in the borderline band may be flagged ``review``, for the
desk's "To review" queue); a hold that the toxicity classifier alone asked for is marked
``nudge``, so the author can be asked to revise first (see
:meth:`rostra.moderation.policy.Policy.nudges`).
``decide`` only reads the shared state: the decision's ``memory`` (the comment's fingerprint, the
rate-limit counters it counts under) is written by the services in the comment's own
transaction, so nothing is remembered of a comment that was not stored. Only an attempt refused
for its rate limits is counted at once, by the rate-limits phase. Settings that cannot be read
hold every comment for review (and say why in the log and the record), so a typo in a word list
never publishes what it was meant to stop, nor loses a comment.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from rostra.domain.clock import utc_now
from rostra.domain.errors import N_, TooManyRequests
from rostra.domain.models import CommentStatus, Site
from rostra.moderation.phases import duplicates
from rostra.moderation.phases.language import default_identifier
from rostra.moderation.phases.toxicity import load_classifier
from rostra.moderation.pipeline import Pipeline, build_pipeline
from rostra.moderation.policy import Policy
from rostra.moderation.record import Action, ModerationRecord, PolicyError, Submission, Verdict
from rostra.moderation.state import ModerationState
from rostra.services.moderation_port import Decision, Draft, ModerationMemory
from rostra.services.tokens import address_hash

log = logging.getLogger("rostra.moderation")

STATUS = {
    Action.PUBLISH: CommentStatus.PUBLISHED,
    Action.HOLD: CommentStatus.PENDING,
    Action.REJECT: CommentStatus.REJECTED,
}


def _moderates(site: Site) -> bool:
    """Whether ``site``'s pipeline runs (settings that cannot be read hold, so they count)."""
    try:
        return Policy.from_settings(site.settings.moderation).enabled
    except PolicyError:
        return True


class PipelineModerator:
    """A ``Moderator`` (see ``rostra.services.moderation_port``) running each site's pipeline."""

    def __init__(
        self,
        state: ModerationState,
        *,
        address_key: bytes,
        clock: Callable[[], datetime] = utc_now,
        rate_limits: bool = True,
    ) -> None:
        self.state = state
        self._address_key = address_key
        self.clock = clock
        self.rate_limits = rate_limits
        self._lock = threading.Lock()
        self._pipelines: dict[int, tuple[str, Pipeline | PolicyError]] = {}

    def warm_up(self, sites: Iterable[Site] | None) -> bool:
        """Load the shipped models now rather than on the first comment, when one of ``sites``
        moderates: a deployment whose every site has moderation off never holds them (about
        280 MB a worker). A site that turns it on later loads them on its first comment.
        ``None`` (the sites could not be read) loads them. Returns whether they were loaded."""
        if sites is not None and not any(_moderates(site) for site in sites):
            log.info("no site moderates comments: the moderation models load when one does")
            return False
        default_identifier()
        # The sentence encoder finishes loading on its first text.
        load_classifier(None).score("warm up", "en")
        return True

    def pipeline(self, site: Site) -> Pipeline:
        """The site's pipeline; raises :class:`PolicyError` when its settings are invalid."""
        key = json.dumps(site.settings.moderation, sort_keys=True, default=str)
        with self._lock:
            cached = self._pipelines.get(site.id)
        if cached is None or cached[0] != key:
            built: Pipeline | PolicyError
            try:
                policy = Policy.from_settings(site.settings.moderation)
                built = build_pipeline(policy, self.state, rate_limits=self.rate_limits)
            except PolicyError as exc:
                # Said once per settings change, not once per comment.
                log.warning("site %s: moderation settings are invalid: %s", site.slug, exc)
                built = exc
            cached = (key, built)
            with self._lock:
                self._pipelines[site.id] = cached
        result = cached[1]
        if isinstance(result, PolicyError):
            raise result
        return result

    def submission(self, draft: Draft, now: datetime) -> Submission:
        return Submission(
            site_id=draft.site.id,
            site_slug=draft.site.slug,
            body=draft.body,
            now=now,
            author_key=draft.author.key,
            client_key=self.client_key(draft.client_ip),
            thread=draft.thread_external_id,
            is_reply=draft.is_reply,
            is_edit=draft.is_edit,
            comment_id=draft.comment_id,
            default_language=draft.site.settings.default_language,
            anonymous=draft.new_reader,
            deferred_counts=[],
        )

    def client_key(self, address: str | None) -> str | None:
        """A keyed hash of the client's address (see :func:`address_hash`), never the address."""
        return address_hash(self._address_key, address)

    def decide(self, draft: Draft) -> Decision:
        now = self.clock()
        submission = self.submission(draft, now)
        try:
            pipeline = self.pipeline(draft.site)
        except PolicyError as exc:
            record = ModerationRecord()
            record.add("policy", Verdict(Action.HOLD, f"invalid moderation settings: {exc}"))
            return self._decision(record, submission, None)
        record = pipeline.run(submission)
        if record.retry_after is not None and record.verdict is Action.REJECT:
            raise TooManyRequests(
                record.message or N_("You are posting too fast. Wait a moment, then try again."),
                retry_after=record.retry_after,
            )
        return self._decision(record, submission, pipeline)

    def _decision(
        self, record: ModerationRecord, submission: Submission, pipeline: Pipeline | None
    ) -> Decision:
        fingerprint = None
        # Remembering a fingerprint is a write: only when a duplicates phase will read it (a
        # site with moderation off posts at full speed), or when the settings are broken (then
        # the comment is held and kept for when they are fixed).
        if pipeline is None or (pipeline.policy.enabled and pipeline.policy.duplicates.enabled):
            fingerprint = duplicates.fingerprint_of(submission)
        status = STATUS[record.verdict]
        memory = ModerationMemory(
            site_id=submission.site_id,
            author_key=submission.author_key,
            at=submission.now,
            outcome=status,
            fingerprint=fingerprint,
            counts=tuple(submission.deferred_counts or ()),
        )
        return Decision(
            status=status,
            language=record.language,
            record=record.to_json(),
            message=record.message if record.verdict is Action.REJECT else None,
            nudge=pipeline is not None and pipeline.policy.nudges(record),
            reason=f"{record.phase}: {record.reason}" if record.phase else record.reason,
            memory=memory,
            review=record.flagged,
        )
