"""CPU per posted comment, moderated and not, in one process: where moderated posting's time goes.

``make bench``'s posting cells share two cores with wrk and with whatever else the machine runs,
so their comments/s move with the load. This measures what a post costs instead: the posting
service itself (``Discussion.post``: validation, moderation, the one write transaction) on a
fresh SQLite database made with ``rostra migrate`` and ``rostra site add`` as the bench makes
it, for the site ``bench`` (moderation off) and ``benchmod`` (the default pipeline, rate limits
raised, as in the bench), in turns, as process CPU time per comment; then each moderation
phase's thread CPU time per comment (the same texts through the same pipeline), and the
process's RSS with the models loaded. The texts are the bench's posting texts
(``commentgen.thread(2000, seed=99)``, 200-600 characters of Markdown), each made unique.

    .venv/bin/python bench/posting_cost.py [--posts 300] [--json PATH]

It writes bench/results/posting-cost-<UTC stamp>.json, or the file ``--json`` names.

No HTTP and one process: the figures are a floor under what the posting cell can reach
(comments/s on two free cores <= 2 x 1000 / (CPU ms of a moderated post + the HTTP layer's)).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import commentgen  # noqa: E402
import run as bench_run  # noqa: E402


def rss_mib() -> float:
    with open(f"/proc/{os.getpid()}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def setup(db: Path) -> None:
    """The bench's database: migrated, with its sites ``bench`` and ``benchmod``."""
    env = os.environ | {"ROSTRA_DATABASE_URL": f"sqlite:///{db}"}
    rostra = str(ROOT / ".venv/bin/rostra")
    mod = bench_run.known_settings(bench_run.SITE_MOD_SETTINGS, None)
    for step in (  # the bench's settings for its sites (bench/run.py)
        ["migrate"],
        ["site", "add", "bench", "--settings", json.dumps(bench_run.SITE_SETTINGS)],
        ["site", "add", "benchmod", "--settings", json.dumps(mod)],
    ):
        subprocess.run([rostra, *step], env=env, check=True, capture_output=True)


def measure(posts: int) -> dict[str, Any]:
    from rostra.domain.models import Author
    from rostra.moderation.moderator import PipelineModerator
    from rostra.moderation.record import ModerationRecord
    from rostra.services.discussion import Discussion
    from rostra.services.moderation_port import Draft
    from rostra.services.posting import PostRequest
    from rostra.services.thread_meta import ThreadKeys
    from rostra.services.tokens import ReaderTokens, Signer
    from rostra.storage.database import create_engines
    from rostra.storage.moderation import SqlModerationState
    from rostra.storage.repository import SqlStore

    texts = [c.text for c in commentgen.thread(2000, seed=99)]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "cost.db"
        setup(db)
        engines = create_engines(f"sqlite:///{db}")
        store = SqlStore(engines)
        signer = Signer(os.urandom(32).hex())
        moderator = PipelineModerator(SqlModerationState(engines), address_key=os.urandom(32))
        discussion = Discussion(
            store, ReaderTokens(signer), moderator=moderator, thread_keys=ThreadKeys(signer)
        )
        plain, moderated = store.get_site("bench"), store.get_site("benchmod")
        assert plain is not None and moderated is not None
        before_models = rss_mib()
        moderator.warm_up([moderated])
        with_models = rss_mib()

        def post_all(site: Any, tag: str, n: int) -> tuple[float, dict[str, int]]:
            statuses: dict[str, int] = {}
            started = time.process_time()
            for i in range(n):
                text = f"{texts[(i * 7919) % len(texts)]} (post {tag}-{i})"
                author = Author(reader_key=f"reader-{tag}-{i % 8}")
                request = PostRequest(
                    "/bench/post",
                    text,
                    author_name=f"Bench poster {i % 8}",
                    client_nonce=f"{tag}-{i}",
                    client_ip="127.0.0.1",
                )
                status = discussion.post(site, request, author).status.value
                statuses[status] = statuses.get(status, 0) + 1
            return (time.process_time() - started) / n * 1000, statuses

        post_all(plain, "warm", 20)
        post_all(moderated, "warm", 20)
        rounds = []
        for r in range(2):
            off, _ = post_all(plain, f"p{r}", posts)
            on, statuses = post_all(moderated, f"m{r}", posts)
            rounds.append({"plain_ms": round(off, 2), "moderated_ms": round(on, 2), **statuses})

        # Each phase alone, on the same kind of texts, against the same (now filled) state.
        pipeline = moderator.pipeline(moderated)
        phase_ms = dict.fromkeys(pipeline.names, 0.0)
        for i in range(posts):
            draft_text = f"{texts[(i * 104729) % len(texts)]} (phase run {i})"
            author = Author(reader_key=f"reader-phases-{i % 8}")
            draft = Draft(moderated, draft_text, "Bench poster", author, False, False)
            submission = moderator.submission(draft, moderator.clock())
            record = ModerationRecord()
            for phase in pipeline.phases:
                started = time.thread_time()
                phase(submission, record)
                phase_ms[phase.name] += time.thread_time() - started
    return {
        "posts": posts,
        "rounds": rounds,
        "phase_cpu_ms": {k: round(v / posts * 1000, 3) for k, v in phase_ms.items()},
        "rss_mib": {
            "before_models": round(before_models, 1),
            "with_models": round(with_models, 1),
            "after": round(rss_mib(), 1),
        },
        "load_average": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300, help="posts per site and round")
    parser.add_argument("--json", type=Path, help="write the result here too")
    args = parser.parse_args(argv)
    result = measure(args.posts)
    for r in result["rounds"]:
        print(f"[cost] CPU per post: plain {r['plain_ms']} ms, moderated {r['moderated_ms']} ms")
    phases = ", ".join(f"{k} {v}" for k, v in result["phase_cpu_ms"].items())
    print(
        f"[cost] phases, ms CPU a comment: {phases}; sum {sum(result['phase_cpu_ms'].values()):.2f}"
    )
    rss = result["rss_mib"]
    print(
        f"[cost] RSS {rss['before_models']} MiB before the models, {rss['with_models']} with, "
        f"{rss['after']} after; load average {result['load_average']:.1f}"
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    result["stamp"] = stamp
    out = args.json or HERE / "results" / f"posting-cost-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
