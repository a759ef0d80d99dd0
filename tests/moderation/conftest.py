"""The shipped sets' evaluation, built once per test worker and shared by the tests that read
the whole report (its text in test_cli.py, its JSON in test_eval_report.py): one run takes the
eval's whole time (2,500 comments through the model), and both read the same figures."""

from __future__ import annotations

import pytest

from rostra.cli import build_parser
from rostra.moderation import evaluation
from rostra.moderation.cli import eval_report


@pytest.fixture(scope="session")
def shipped_report() -> evaluation.Report:
    """What ``rostra moderation eval`` reports with no options: the command's own choice of
    sets and settings, in this process (the model this worker has loaded)."""
    return eval_report(build_parser().parse_args(["moderation", "eval", "--quiet"]))


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The tests that read the report run in one worker (--dist loadgroup), so it is built once.
    for item in items:
        if "shipped_report" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("shipped_eval"))
