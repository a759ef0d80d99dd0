"""The bench's verdicts and its Markdown table, from the results JSON that bench/run.py writes.

Also a command, to redo the table from a stored run:

    python bench/report.py bench/results/20260101T000000Z.json
"""

from __future__ import annotations

import json
import statistics
import sys
from typing import Any

import moderation_eval

from rostra.jobs_cli import WORKER_CACHE_KIB

Json = dict[str, Any]

SCENARIOS = {
    "page": "first page (20 roots)",
    "thread": "whole thread",
    "counts": "counts (40 threads)",
    "post": "new comment",
}
ROSTRA = ("Rostra JSON", "Rostra HTML")
NOTIFIED = "Rostra JSON, notifications on"
# Posting with notifications on may be at most this much slower than without (issue 10).
NOTIFY_POSTING_SHARE = 0.9


def _find(cells: list[Json], scenario: str, server: str, size: int, conc: int) -> Json | None:
    for cell in cells:
        if (cell["scenario"], cell["server"], cell["size"], cell["conc"]) == (
            scenario,
            server,
            size,
            conc,
        ):
            return cell
    return None


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def _rps(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _line(ok: bool | None, text: str) -> Json:
    return {"verdict": "SKIP" if ok is None else ("PASS" if ok else "FAIL"), "text": text}


def targets(results: Json) -> list[Json]:
    """The goals Rostra is held to, each as PASS, FAIL or SKIP (its cell was not measured)."""
    cells = results["cells"]
    out: list[Json] = []

    page = _find(cells, "page", "Rostra JSON", 1000, 64)
    bare = _find(cells, "page", "bare ASGI", 1000, 64)
    if page and page["answered"]:
        out.append(
            _line(
                page["p99_ms"] <= 50,
                f"first page of the 1,000-comment thread at c=64: p99 {_ms(page['p99_ms'])} "
                "(goal ≤ 50 ms)",
            )
        )
    else:
        out.append(_line(None if page is None else False, "first page of 1,000 at c=64: p99"))
    if page and bare and bare["rps"]:
        share = page["rps"] / bare["rps"]
        out.append(
            _line(
                share >= 0.5,
                f"first page of 1,000 at c=64: {_rps(page['rps'])} req/s = {share:.0%} of the "
                f"bare ASGI app's {_rps(bare['rps'])} (goal ≥ 50%)",
            )
        )
    else:
        out.append(_line(None, "first page of 1,000 at c=64 as a share of the bare app"))

    whole = _find(cells, "thread", "Rostra JSON", 10000, 1)
    if whole is None:
        out.append(_line(None, "whole 10,000-comment thread at c=1: p50"))
    else:
        p50 = whole.get("p50_ms")
        out.append(
            _line(
                p50 is not None and p50 <= 1000,
                f"whole 10,000-comment thread at c=1: p50 {_ms(p50)} (goal ≤ 1 s)",
            )
        )

    posts = [c for c in cells if c["scenario"] == "post" and c["server"] != "Isso"]
    for post in posts:
        errs = post.get("errors") or {}
        failed = errs.get("status", 0) + errs.get("timeout", 0) + (0 if post["answered"] else 1)
        moderated = "moderated" in post["server"]
        if post["server"] == NOTIFIED:
            out.append(_notify_posting(post, _find(cells, "post", "Rostra JSON", 0, post["conc"])))
            continue
        if moderated:
            # With moderation on, 422 is an answer by design (a rejection, or the civility nudge
            # asking the author to revise), not a failure. Goals from issue 3.
            refused = int((post.get("statuses") or {}).get("422", 0))
            failed = max(0, failed - refused)
            ok = post["rps"] >= 100 and (post["p99_ms"] or 1e9) <= 150 and failed == 0
            goal = "goal ≥ 100/s, p99 ≤ 150 ms, none failed; 422 = rejected or nudged"
        else:
            ok = post["rps"] >= 500 and (post["p99_ms"] or 1e9) <= 50 and failed == 0
            goal = "goal ≥ 500/s, p99 ≤ 50 ms, none failed"
        out.append(
            _line(
                ok,
                f"posting ({post['server']}) at c={post['conc']} on SQLite: "
                f"{_rps(post['rps'])} comments/s, p99 {_ms(post['p99_ms'])}, {failed} failed "
                f"({goal})",
            )
        )
    if not posts:
        out.append(_line(None, "posting at c=8"))

    for scenario in ("page", "thread"):
        sizes = sorted({c["size"] for c in cells if c["scenario"] == scenario and c["size"] >= 100})
        for size in sizes:
            for server in ROSTRA:
                ours = [
                    c
                    for c in cells
                    if (c["scenario"], c["server"], c["size"]) == (scenario, server, size)
                ]
                if not ours:
                    continue
                ratios: list[tuple[float, int, str]] = []
                for cell in ours:
                    theirs = _find(cells, scenario, "Isso", size, cell["conc"])
                    if theirs is None:
                        continue
                    if theirs["rps"]:
                        ratios.append((cell["rps"] / theirs["rps"], cell["conc"], ""))
                    else:
                        ratios.append((float("inf") if cell["rps"] else 0.0, cell["conc"], ""))
                if not ratios:
                    out.append(_line(None, f"{SCENARIOS[scenario]} of {size:,}: no Isso figures"))
                    continue
                worst = min(ratios)
                shown = "Isso gave no answer" if worst[0] == float("inf") else f"×{worst[0]:,.0f}"
                out.append(
                    _line(
                        worst[0] >= 100,
                        f"{SCENARIOS[scenario]} of {size:,}, {server} vs Isso: lowest ratio "
                        f"{shown} (at c={worst[1]}; goal ≥ ×100 at every concurrency)",
                    )
                )
    return out + background_targets(results) + moderation_eval.targets(results)


def _notify_posting(post: Json, plain: Json | None) -> Json:
    """Posting into a followed thread (its mails sent by the server's own jobs runner) against
    posting into one no one follows, on the same server and site settings."""
    errs = post.get("errors") or {}
    failed = errs.get("status", 0) + errs.get("timeout", 0) + (0 if post["answered"] else 1)
    if plain is None or not plain["rps"]:
        return _line(None, f"posting with notifications on at c={post['conc']}: nothing to compare")
    share = post["rps"] / plain["rps"]
    rounds = [r for r in post.get("rounds") or [] if r.get("plain")]
    measured = ""
    if len(rounds) > 1:
        # Pairs measured in turns (bench/run.py post_rounds): their median share decides.
        shares = sorted(r["notified"] / r["plain"] for r in rounds)
        share = statistics.median(shares)
        measured = (
            f"; median of {len(shares)} pairs measured in turns "
            f"({', '.join(f'{s:.0%}' for s in shares)})"
        )
    after = post.get("mails_done_after_s")
    mails = (
        "still queued 120 s after" if after is None else f"all sent {after:.0f} s after the cell"
    )
    return _line(
        share >= NOTIFY_POSTING_SHARE and failed == 0,
        f"posting with notifications on at c={post['conc']} on SQLite: {_rps(post['rps'])} "
        f"comments/s, {share:.0%} of posting without ({_rps(plain['rps'])}){measured}, p99 "
        f"{_ms(post['p99_ms'])}, {failed} failed; {post.get('followers', '?')} follower(s) mailed "
        f"each comment, {mails} (goal ≥ {NOTIFY_POSTING_SHARE:.0%}, none failed)",
    )


# -- notifications and background jobs (bench/notify_scenarios.py) ------------------------------
FANOUT_GOAL = 200  # mails/s, one reply to 1,000 followers
FANOUT_SIZE = 1000
DIGEST_GOAL = 60  # seconds, a daily digest for 10,000 subscriptions
DIGEST_SIZE = 10_000
JOBS_SIZE = 100_000
# Worker memory "stays flat": RSS from the first tenth of the jobs to the last grows by at most
# 10%, plus, on SQLite, its page cache filling as the claims walk the table (the worker's
# cache_size, rostra.jobs_cli.WORKER_CACHE_KIB a connection).
JOBS_GROWTH = 0.10
SQLITE_CACHE_MIB = WORKER_CACHE_KIB / 1024
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _runs(results: Json, kind: str) -> list[tuple[str, Json]]:
    section = results.get(kind) or {}
    return [(NAMES.get(db, db), run) for db, run in (section.get("runs") or {}).items()]


def _jobs_growth(run: Json) -> tuple[float, float, float]:
    """(first tenth MiB, last tenth MiB, allowed growth MiB) of one jobs run."""
    rss = run["rss_kib_at_tenths"]
    first, last = rss[0] / 1024, rss[-1] / 1024
    allowed = first * JOBS_GROWTH + (SQLITE_CACHE_MIB if run["database"] == "sqlite" else 0)
    return first, last, allowed


def background_targets(results: Json) -> list[Json]:
    """The notification and jobs goals (issue 10), per database; SKIP where a run failed, was
    left out, or was smaller than the goal's size."""
    out: list[Json] = []
    notify = results.get("notify")
    if notify is None:
        out.append(_line(None, "notifications: fan-out and daily digest (not measured)"))
    for name, run in _runs(results, "notify"):
        if "error" in run:
            out.append(_line(None, f"notifications on {name}: {run['error']}"))
            continue
        full = run["followers"] >= FANOUT_SIZE
        rate = run["fanout_mails_per_second"]
        out.append(
            _line(
                (rate >= FANOUT_GOAL) if full else None,
                f"fan-out on {name}: 1 reply to {run['followers']:,} followers, "
                f"{_rps(rate)} mails/s (goal ≥ {FANOUT_GOAL} mails/s for {FANOUT_SIZE:,})",
            )
        )
        full = run["digest_subscriptions"] >= DIGEST_SIZE
        seconds, left = run["digest_seconds"], run.get("digest_items_left", 0)
        out.append(
            _line(
                (seconds < DIGEST_GOAL and left == 0) if full else None,
                f"daily digest on {name}: {run['digest_subscriptions']:,} subscriptions built and "
                f"sent in {seconds:.1f} s, {left} items left (goal < {DIGEST_GOAL} s for "
                f"{DIGEST_SIZE:,}, none left)",
            )
        )
    if results.get("jobs") is None:
        out.append(_line(None, "worker memory over 100,000 jobs (not measured)"))
    for name, run in _runs(results, "jobs"):
        if "error" in run:
            out.append(_line(None, f"jobs on {name}: {run['error']}"))
            continue
        first, last, allowed = _jobs_growth(run)
        out.append(
            _line(
                (last - first <= allowed) if run["jobs"] >= JOBS_SIZE else None,
                f"worker memory on {name} over {run['jobs']:,} jobs: RSS {first:.0f} → "
                f"{last:.0f} MiB from the first tenth to the last (goal: growth ≤ "
                f"{allowed:.0f} MiB, {JOBS_GROWTH:.0%}"
                + (" plus SQLite's page cache" if run["database"] == "sqlite" else "")
                + f"); {_rps(run['jobs_per_second'])} jobs/s",
            )
        )
    return out


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("✓" if ok else "✗")


def background_sections(results: Json) -> list[str]:
    """The Notifications and Jobs tables (nothing for a run without them)."""
    lines: list[str] = []
    notify = results.get("notify")
    if notify is not None:
        lines += [
            "",
            f"Notifications (bench/notify_bench.py, Rostra's jobs runner and handlers in one "
            f"process, a local aiosmtpd sink in another): one reply fanned out to "
            f"{notify['followers']:,} confirmed followers, mails/s until the last is accepted; "
            f"a daily digest for {notify['digest']:,} subscriptions built and sent. A fresh "
            "database each:",
            "",
            f"| Database | fan-out | mails/s | ≥ {FANOUT_GOAL}/s | daily digest | "
            f"< {DIGEST_GOAL} s | mails the sink took |",
            "|---|---:|---:|:-:|---:|:-:|---:|",
        ]
        for name, run in _runs(results, "notify"):
            if "error" in run:
                lines.append(f"| {name} | {run['error']} | | | | | |")
                continue
            rate, seconds = run["fanout_mails_per_second"], run["digest_seconds"]
            fan_ok = rate >= FANOUT_GOAL if run["followers"] >= FANOUT_SIZE else None
            full = run["digest_subscriptions"] >= DIGEST_SIZE
            digest_ok = seconds < DIGEST_GOAL and not run.get("digest_items_left") if full else None
            lines.append(
                f"| {name} | {run['fanout_seconds']:.2f} s | {_rps(rate)} | {_mark(fan_ok)} | "
                f"{seconds:.1f} s | {_mark(digest_ok)} | "
                f"{run.get('mails_accepted_by_sink', 0):,} |"
            )
    jobs = results.get("jobs")
    if jobs is not None:
        lines += [
            "",
            f"Background jobs (bench/jobs_bench.py): {jobs['jobs']:,} no-op jobs through one "
            "rostra worker; its RSS when the first and the last tenth of them were done. "
            "Flat means growth within 10%, plus, on SQLite, its page cache (up to "
            f"{SQLITE_CACHE_MIB:.0f} MiB a connection) filling as the claims walk the table:",
            "",
            "| Database | jobs/s | RSS, first tenth | RSS, last tenth | growth | flat |",
            "|---|---:|---:|---:|---:|:-:|",
        ]
        for name, run in _runs(results, "jobs"):
            if "error" in run:
                lines.append(f"| {name} | {run['error']} | | | | |")
                continue
            first, last, allowed = _jobs_growth(run)
            ok = last - first <= allowed if run["jobs"] >= JOBS_SIZE else None
            lines.append(
                f"| {name} | {_rps(run['jobs_per_second'])} | {first:.1f} MiB | {last:.1f} MiB "
                f"| {last - first:+.1f} MiB ({(last - first) / first:+.0%}) | {_mark(ok)} |"
            )
    return lines


def _noise(results: Json) -> list[str]:
    """A warning when other processes competed for the cores during the run."""
    cells = [c for c in results["cells"] if "other_cpu_pct" in c]
    if not cells:
        return []
    mean = sum(c["other_cpu_pct"] for c in cells) / len(cells)
    before = results["machine"].get("busy_before_pct")
    if mean < 15 and (before is None or before < 15):
        return [f"The machine was otherwise quiet (other processes: {mean:.0f}% CPU on average)."]
    return [
        f"**Noisy machine:** other processes used {mean:.0f}% CPU on average during the cells "
        f"(out of {results['machine']['cpus'] * 100}%; {before}% just before the run), so these "
        "figures understate both servers. Re-run on a quiet machine before quoting them.",
    ]


def summary(results: Json) -> list[str]:
    """The short table for the project README: req/s side by side, and p99 under load."""
    cells: list[Json] = results["cells"]
    concs = results["settings"]["concurrency"]

    def rates(scenario: str, server: str, size: int) -> str:
        found = [_find(cells, scenario, server, size, c) for c in concs]
        return " / ".join(
            "–" if f is None else (_rps(f["rps"]) if f["answered"] else "none") for f in found
        )

    def p99(scenario: str, server: str, size: int) -> str:
        found = _find(cells, scenario, server, size, concs[-1])
        if found is None:
            return "–"
        return _ms(found.get("p99_ms")) if found["answered"] else "no answer"

    top = concs[-1]
    lines = [
        f"| Scenario | Comments | Rostra req/s (c={'/'.join(map(str, concs))}) | Isso req/s (same) "
        f"| Rostra p99 at c={top} | Isso p99 at c={top} |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    keys = sorted(
        {
            (c["scenario"], c["size"])
            for c in cells
            if c["scenario"] in ("page", "thread", "counts")
        },
        key=lambda k: (k[0] != "page", k[0] == "counts", k[1]),
    )
    for scenario, size in keys:
        lines.append(
            f"| {SCENARIOS[scenario]} | {f'{size:,}' if size else ''} | "
            f"{rates(scenario, 'Rostra JSON', size)} | "
            f"{rates(scenario, 'Isso', size)} | {p99(scenario, 'Rostra JSON', size)} | "
            f"{p99(scenario, 'Isso', size)} |"
        )
    for post in [c for c in cells if c["scenario"] == "post"]:
        if post["server"] == "Isso":
            continue
        theirs = _find(cells, "post", "Isso", 0, post["conc"])
        label = "new comment" + (", moderated" if "moderated" in post["server"] else "")
        label += ", notifications on" if post["server"] == NOTIFIED else ""
        lines.append(
            f"| {label} (c={post['conc']}) | | {_rps(post['rps'])} | "
            f"{'–' if theirs is None else _rps(theirs['rps'])} | {_ms(post.get('p99_ms'))} "
            f"(c={post['conc']}) | {'–' if theirs is None else _ms(theirs.get('p99_ms'))} |"
        )
    return lines


def markdown(results: Json) -> str:
    cells: list[Json] = results["cells"]
    m = results["machine"]
    st = results["settings"]
    v = results["versions"]
    lines = [
        f"# Rostra and Isso under wrk — {results['timestamp']}",
        "",
        f"Machine: {m['cpus']} × {m['cpu_model']}, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}, {m['wrk']}. Rostra {v['rostra_side']['rostra']} "
        f"({m['rostra_commit']}; uvicorn {v['rostra_side']['uvicorn']}), Isso "
        f"{v['isso_side']['isso']} (gunicorn {v['isso_side']['gunicorn']}, sync workers). "
        f"Both on SQLite with {st['workers']} workers, on loopback.",
        "",
        f"Each cell: wrk for {st['duration_s']} s (longer, up to {st['wrk_timeout_s']} s, where "
        f"single answers are slow), wrk threads {st['wrk_threads']}. Latencies cover answered "
        "requests; a request counts as unanswered after "
        f"{st['wrk_timeout_s']} s. Run took {results['elapsed_s'] // 60} min "
        f"{results['elapsed_s'] % 60} s.",
        "",
        *_noise(results),
        "",
        "In short (Rostra's JSON API; every cell below):",
        "",
        *summary(results),
        "",
        "| Scenario | Comments | Server | c | req/s | p50 | p99 | errors | KB/answer | vs Isso "
        "| note |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    bare_rps = {c["conc"]: c["rps"] for c in cells if c["server"] == "bare ASGI" and c["rps"] > 0}
    bare_size = next((c["size"] for c in cells if c["server"] == "bare ASGI"), None)
    order = {"page": 0, "thread": 1, "counts": 2, "post": 3}
    servers = {"Rostra JSON": 0, NOTIFIED: 1, "Rostra JSON, moderated": 2, "Rostra HTML": 3}
    servers.update({"bare ASGI": 4, "Isso": 5})
    for c in sorted(
        cells, key=lambda c: (order[c["scenario"]], c["size"], servers[c["server"]], c["conc"])
    ):
        notes: list[str] = []
        if not c["answered"]:
            notes.append(c.get("note") or f"no answer in {c['seconds']} s")
        elif c["seconds"] > st["duration_s"]:
            notes.append(f"ran {c['seconds']} s")
        if c.get("stored") is not None:
            notes.append(f"{c['stored']:,} published")
        if c.get("followers") is not None:
            after = c.get("mails_done_after_s")
            notes.append(
                f"{c['followers']} follower(s) mailed each, "
                + (
                    "mails still queued 120 s after"
                    if after is None
                    else f"all sent {after:.0f} s after"
                )
            )
        if c.get("statuses"):
            shown = ", ".join(f"{n:,}× {code}" for code, n in sorted(c["statuses"].items()))
            notes.append(f"statuses {shown}")
        same_cell = c["scenario"] == "page" and c["size"] == bare_size and c["conc"] in bare_rps
        if c["server"] in ROSTRA and same_cell:
            notes.append(f"{c['rps'] / bare_rps[c['conc']]:.0%} of bare")
        if c.get("other_cpu_pct", 0) >= 25:
            notes.append(f"other processes used {c['other_cpu_pct']}% CPU")
        versus = ""
        if c["server"] != "Isso":
            theirs = _find(cells, c["scenario"], "Isso", c["size"], c["conc"])
            if theirs is not None:
                versus = f"×{c['rps'] / theirs['rps']:,.0f}" if theirs["rps"] else "Isso: none"
        errs = c.get("errors") or {}
        n_err = sum(errs.values())
        kb = c.get("bytes_per_response")
        size = f"{c['size']:,}" if c["size"] else ""
        lines.append(
            f"| {SCENARIOS[c['scenario']]} | {size} | "
            f"{c['server']} | {c['conc']} | "
            f"{_rps(c['rps']) if c['answered'] else '–'} | {_ms(c.get('p50_ms'))} | "
            f"{_ms(c.get('p99_ms'))} | {n_err or ''} | "
            f"{'' if kb is None else f'{kb / 1024:,.1f}'} | {versus} | {'; '.join(notes)} |"
        )
    lines += [
        "",
        "Memory (sum over each server's process tree; RSS counts pages shared after fork "
        "once per process, PSS splits them):",
        "",
        "| Server | processes | idle RSS | idle PSS | peak RSS | peak PSS | restarts |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"rostra": "Rostra", "isso": "Isso", "bare": "bare ASGI"}
    for name, mem in results["memory"].items():
        lines.append(
            f"| {names.get(name, name)} | {mem['processes']} | {mem['idle_rss_mb']:.0f} MB | "
            f"{mem['idle_pss_mb']:.0f} MB | {mem['peak_rss_mb']:.0f} MB | "
            f"{mem['peak_pss_mb']:.0f} MB | {mem['restarts']} |"
        )
    reads = [c for c in results["checks"] if c["scenario"] in ("page", "thread")]
    if reads:
        lines += [
            "",
            "One request alone: the first after start (nothing cached in that worker yet, lazy "
            "imports not done) and the best of the next few (warm):",
            "",
            "| Scenario | Comments | Server | first | warm |",
            "|---|---:|---|---:|---:|",
        ]
        for c in sorted(
            reads, key=lambda c: (order[c["scenario"]], c["size"], servers[c["server"]])
        ):
            first = None if c.get("first_s") is None else c["first_s"] * 1000
            warm = None if c.get("single_s") is None else c["single_s"] * 1000
            lines.append(
                f"| {SCENARIOS[c['scenario']]} | {c['size']:,} | {c['server']} | {_ms(first)} | "
                f"{_ms(warm)} |"
            )
    seeding = results["seeding"]
    lines += ["", "Seeding:"]
    for name, s in seeding.items():
        rate = f", {s['per_s']:,} comments/s" if "per_s" in s else ""
        lines.append(
            f"- {name}: {s['written']:,} comments via {s['via']} in {s['seconds']} s" + rate
        )
    lines += background_sections(results)
    lines += moderation_eval.sections(results)
    bad = [c for c in results["checks"] if not c["ok"]]
    lines += ["", "Answer checks: " + ("all passed" if not bad else f"{len(bad)} failed")]
    for c in bad:
        lines.append(f"- {c['server']} {c['scenario']} {c['size']}: {c['problem']}")
    lines += ["", "Targets:", ""]
    for t in results["targets"]:
        lines.append(f"- **{t['verdict']}** {t['text']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as fh:
        results = json.load(fh)
    results["targets"] = targets(results)
    sys.stdout.write(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
