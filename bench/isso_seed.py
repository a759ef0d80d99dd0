"""Write generated threads straight into Isso's SQLite database (run with the Isso venv's Python).

Seeding Isso through its HTTP API takes minutes for the 10,000-comment thread (each POST scans
the thread), so by default the bench writes the rows here, with the server stopped. Isso itself
creates the schema, and rows look like ones its API writes: published (mode 1), the anonymised
loopback address, a voters Bloom filter, and replies attached to their top-level ancestor, since
Isso keeps a single level of nesting. ``bench/run.py --isso-seed api`` posts through HTTP instead.

    isso-venv/bin/python bench/isso_seed.py --config isso.cfg --threads threads.json

threads.json: [{"uri": ..., "title": ..., "comments": [{"parent", "author", "email",
"website", "text"}, ...]}, ...] where "parent" is the index of an earlier comment or null.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from typing import Any


def seed(config_file: str, threads: list[dict[str, Any]]) -> int:
    # Isso lives in its own venv (bench/work/isso-venv), not in the project's.
    from isso import config as isso_config  # type: ignore[import-not-found]
    from isso import db as isso_db
    from isso.utils import Bloomfilter  # type: ignore[import-not-found]

    conf = isso_config.load(isso_config.default_file(), config_file)
    path = conf.get("general", "dbpath")
    isso_db.SQLite3(path, conf)  # creates or migrates the schema the way the server does
    remote = "127.0.0.0"  # what Isso stores for a loopback client after anonymising
    voters = memoryview(Bloomfilter(iterable=[remote]).array)
    written = 0
    con = sqlite3.connect(path)
    try:
        with con:
            for spec in threads:
                cur = con.execute(
                    "INSERT INTO threads (uri, title) VALUES (?, ?)", (spec["uri"], spec["title"])
                )
                tid = cur.lastrowid
                comments = spec["comments"]
                start = time.time() - len(comments)  # one comment a second, ending now
                top: list[int] = []
                for index, c in enumerate(comments):
                    parent = None if c["parent"] is None else top[c["parent"]]
                    cur = con.execute(
                        "INSERT INTO comments (tid, parent, created, modified, mode, remote_addr,"
                        " text, author, email, website, voters, notification)"
                        " VALUES (?, ?, ?, NULL, 1, ?, ?, ?, ?, ?, ?, 0)",
                        (
                            tid,
                            parent,
                            start + index,
                            remote,
                            c["text"],
                            c["author"],
                            c["email"],
                            c["website"],
                            voters,
                        ),
                    )
                    row_id = cur.lastrowid
                    assert row_id is not None
                    top.append(parent if parent is not None else row_id)
                    written += 1
    finally:
        con.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--threads", required=True)
    args = parser.parse_args()
    with open(args.threads, encoding="utf-8") as fh:
        threads = json.load(fh)
    started = time.perf_counter()
    written = seed(args.config, threads)
    print(json.dumps({"written": written, "seconds": round(time.perf_counter() - started, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
