"""Loading the classifier keeps numpy's BLAS to one thread, unless the operator chose a number.

Run in fresh processes, so the environment and the BLAS library start as a server's would (a test
worker has set its limit already). Why one thread: rostra.moderation.classifier.linear.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rostra.moderation.classifier.linear import BLAS_THREAD_ENV

PROBE = """
import json
from threadpoolctl import threadpool_info
from rostra.moderation.classifier import load_default_classifier
before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
load_default_classifier()
after = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
print(json.dumps({"before": before, "after": after}))
"""


def blas_threads(**env: str) -> dict[str, list[int]]:
    clean = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_ENV}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[int]] = json.loads(done.stdout)
    assert result["before"], "numpy's BLAS is not visible to threadpoolctl"
    return result


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="BLAS runs one thread on one core anyway")
def test_loading_the_classifier_leaves_one_blas_thread() -> None:
    threads = blas_threads()
    assert max(threads["before"]) > 1  # what OpenBLAS would use on this machine
    assert threads["after"] == [1] * len(threads["after"])


def test_an_operators_thread_setting_is_kept() -> None:
    threads = blas_threads(OPENBLAS_NUM_THREADS="2")
    assert threads["after"] == threads["before"] == [2] * len(threads["before"])
