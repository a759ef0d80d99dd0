"""The job kind the jobs bench runs (``jobs_plugins = ["jobs_plugin:register"]``, with bench/ on
the worker's path): it reads its payload and does nothing else, so the figure is the queue's
own cost per job (claim, handler call, done)."""

from __future__ import annotations

from typing import Any


def noop(job: Any) -> None:
    job.payload  # noqa: B018 - parse it, as a real handler would


def register(handlers: Any) -> None:
    handlers.register("bench.noop", noop)
