"""The ``jobs_*`` settings: read from the file or the environment, checked at startup, and what
the runner is built with."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from rostra.config import ConfigError, load_settings
from rostra.jobs.runner import runner_settings


def test_jobs_settings_come_from_the_file_and_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "rostra.toml"
    config.write_text(
        'jobs_in_process = false\njobs_plugins = ["a.b:register"]\njobs_backoff_seconds = 5\n'
    )
    env = {"ROSTRA_JOBS_POLL_MS": "250", "ROSTRA_JOBS_MAX_ATTEMPTS": "3"}
    settings = load_settings(config, env=env, secret_key="k" * 40)
    assert settings.jobs_in_process is False and settings.jobs_plugins == ("a.b:register",)
    built = runner_settings(settings)
    assert built.poll_seconds == 0.25 and built.batch_size == 20 and built.lease_seconds == 300
    assert (built.retry.base_seconds, built.retry.max_seconds, built.retry.max_attempts) == (
        5,
        3600,
        3,
    )
    assert built.keep_done == timedelta(days=7)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"jobs_batch_size": 0}, "jobs_batch_size must be at least 1"),
        ({"jobs_lease_seconds": -5}, "jobs_lease_seconds must be at least 1"),
        ({"jobs_max_attempts": 0}, "jobs_max_attempts must be at least 1"),
        ({"jobs_keep_done_days": -1}, "jobs_keep_done_days cannot be negative"),
        (
            {"jobs_backoff_seconds": 60, "jobs_backoff_max_seconds": 30},
            "jobs_backoff_max_seconds cannot be less than jobs_backoff_seconds",
        ),
        ({"jobs_plugins": ("no.colon",)}, "jobs_plugins takes module:function entries"),
    ],
)
def test_bad_jobs_settings_are_refused_by_name(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env={}, secret_key="k" * 40, **overrides)
