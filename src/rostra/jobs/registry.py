"""Handlers by job kind: one small registry that built-in features and plug-ins fill alike.

A handler is a plain function of the :class:`~rostra.jobs.queue.Job`; it runs in a worker
thread, never on the event loop, and may block (SMTP, HTTP). Returning means done. Raising
:class:`GiveUp` sends the job to the dead-letter list at once (a payload that can never work);
any other exception is retried with backoff. What is recorded of a failure is the exception's
class, or the ``reason`` of a :class:`JobFailed`: never its message, which may quote an address
or a comment.

Plug-ins are named in the ``jobs_plugins`` setting as ``module:function``; each function is called
with the registry and registers its kinds, in ``rostra serve`` and ``rostra worker`` alike.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable

from rostra.jobs.queue import Job

Handler = Callable[[Job], None]
KIND = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_REASON = re.compile(r"[A-Za-z0-9 _.,:;()/-]{1,200}")


class JobFailed(Exception):  # noqa: N818 - a job's outcome, not a program error
    """A failure with a short, fixed reason that is safe to record (no address, no text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason if _REASON.fullmatch(reason) else "JobFailed"


class GiveUp(JobFailed):
    """Retrying cannot help: the job goes to the dead-letter list now."""


def error_of(exc: BaseException) -> str:
    """What the job table records of ``exc``."""
    if isinstance(exc, JobFailed):
        return exc.reason
    return type(exc).__name__[:200]


class PluginError(ValueError):
    """A ``jobs_plugins`` entry cannot be loaded; the message names it."""


class JobHandlers:
    """Kind -> handler. A kind is registered once; registering it twice is a mistake."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str, handler: Handler) -> None:
        if not KIND.fullmatch(kind):
            raise ValueError(f"job kind {kind!r} must match {KIND.pattern}")
        if kind in self._handlers:
            raise ValueError(f"job kind {kind!r} already has a handler")
        self._handlers[kind] = handler

    def get(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._handlers)


def load_plugins(handlers: JobHandlers, paths: Iterable[str]) -> JobHandlers:
    """Call each ``module:function`` in ``paths`` with ``handlers``; returns ``handlers``."""
    for path in paths:
        module_name, sep, attr = path.partition(":")
        if not sep or not module_name or not attr:
            raise PluginError(f"jobs_plugins entry {path!r} is not module:function")
        try:
            register = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise PluginError(
                f"jobs_plugins entry {path!r} cannot be loaded: {type(exc).__name__}"
            ) from exc
        if not callable(register):
            raise PluginError(f"jobs_plugins entry {path!r} is not a function")
        register(handlers)
    return handlers


def builtin_handlers(plugins: Iterable[str] = ()) -> JobHandlers:
    """The registry with Rostra's own kinds (none yet: mail and webhooks register here as they
    come, through the same ``register``) and then the plug-ins'."""
    handlers = JobHandlers()
    return load_plugins(handlers, plugins)
