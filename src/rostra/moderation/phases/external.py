"""An optional external phase: the site's own classifier, over signed HTTP.

Rostra POSTs a JSON document (site, thread, language, the scores so far and the body) to the
configured URL with two headers: ``X-Rostra-Timestamp`` (Unix seconds) and ``X-Rostra-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>." + the request body>`` under the site's shared secret.
The service answers JSON ``{"verdict": "publish" | "hold" | "reject", "reason": "...",
"scores": {"name": 0.0-1.0}}``, signed the same way over its response body with the same
timestamp, so an old or forged answer is refused.

Whatever goes wrong -- no connection, a timeout, a non-2xx status, a bad or missing signature, an
answer that is not that JSON -- holds the comment for review: the external phase can never make a
comment public by failing, and the comment is always stored.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import math
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from rostra.domain.errors import N_
from rostra.moderation.phases import _config as c
from rostra.moderation.record import Action, ModerationRecord, PolicyError, Submission, Verdict

SIGNATURE_HEADER: Final = "X-Rostra-Signature"
TIMESTAMP_HEADER: Final = "X-Rostra-Timestamp"
MAX_RESPONSE_BYTES: Final = 64 * 1024
#: The body sent out is cut to this many characters.
MAX_BODY_CHARS: Final = 20_000


def sign(secret: str, timestamp: str, payload: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True, slots=True)
class ExternalConfig:
    url: str
    secret: str
    timeout_seconds: float = 1.5

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> ExternalConfig | None:
        if not data:
            return None
        where = "external"
        c.check_keys(data, where, {"url", "secret", "timeout_seconds", "enabled"})
        if not c.flag(data, "enabled", where, True):
            return None
        url = c.text(data, "url", where)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PolicyError("moderation.external.url must be an http:// or https:// URL")
        secret = c.text(data, "secret", where)
        if len(secret) < 16:
            raise PolicyError("moderation.external.secret must be at least 16 characters")
        timeout = c.number(data, "timeout_seconds", where, 1.5, 0.05, 10.0)
        return cls(url=url, secret=secret, timeout_seconds=timeout)


class ExternalError(Exception):
    """The external service could not give a trustworthy answer (the message says why)."""


class External:
    name = "external"

    def __init__(self, config: ExternalConfig) -> None:
        self.config = config
        self._parts = urlsplit(config.url)

    def __call__(self, submission: Submission, record: ModerationRecord) -> Verdict | None:
        payload = json.dumps(
            {
                "site": submission.site_slug,
                "thread": submission.thread,
                "language": record.language,
                "is_reply": submission.is_reply,
                "is_edit": submission.is_edit,
                "scores": record.scores,
                "body": submission.body[:MAX_BODY_CHARS],
            },
            ensure_ascii=False,
        ).encode()
        try:
            answer = self._ask(payload)
            action, reason, scores = _parse(answer)
        except ExternalError as exc:
            return Verdict(Action.HOLD, f"external classifier failed: {exc}")
        record.scores.update({f"external_{k}": v for k, v in scores.items()})
        if action is Action.PUBLISH:
            return None
        message = N_("This site's rules do not allow this comment.")
        return Verdict(
            action,
            f"external classifier: {reason}" if reason else "external classifier",
            message=message if action is Action.REJECT else None,
        )

    def _ask(self, payload: bytes) -> bytes:
        cfg = self.config
        parts = self._parts
        deadline = time.monotonic() + cfg.timeout_seconds
        stamp = str(int(time.time()))
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                parts.hostname or "",
                parts.port,
                timeout=cfg.timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            conn = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=cfg.timeout_seconds
            )
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(
                "POST",
                path,
                body=payload,
                headers={
                    "Content-Type": "application/json",
                    TIMESTAMP_HEADER: stamp,
                    SIGNATURE_HEADER: sign(cfg.secret, stamp, payload),
                },
            )
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request took too long")
            if conn.sock is not None:
                conn.sock.settimeout(left)
            response = conn.getresponse()
            if not 200 <= response.status < 300:
                raise ExternalError(f"HTTP status {response.status}")
            body = _read(conn, response, deadline)
            signature = response.getheader(SIGNATURE_HEADER, "")
        except (OSError, http.client.HTTPException) as exc:
            # socket.timeout is an OSError: the connection, the request or a read was too slow.
            what = "timed out" if isinstance(exc, socket.timeout | TimeoutError) else "unreachable"
            raise ExternalError(f"{what} ({type(exc).__name__})") from exc
        finally:
            conn.close()
        if not hmac.compare_digest(signature, sign(cfg.secret, stamp, body)):
            raise ExternalError("the answer's signature is missing or wrong")
        return body


def _read(
    conn: http.client.HTTPConnection, response: http.client.HTTPResponse, deadline: float
) -> bytes:
    """The response body, within the deadline and the size limit (a slow drip counts as late)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the answer took too long")
        if conn.sock is not None:
            conn.sock.settimeout(left)
        chunk = response.read1(8192) if hasattr(response, "read1") else response.read(8192)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ExternalError("the answer is too large")
        chunks.append(chunk)


def _parse(body: bytes) -> tuple[Action, str, dict[str, float]]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ExternalError("the answer is not JSON") from exc
    if not isinstance(data, dict):
        raise ExternalError("the answer is not a JSON object")
    try:
        action = Action(str(data.get("verdict")))
    except ValueError as exc:
        raise ExternalError("the answer has no valid verdict") from exc
    reason = data.get("reason", "")
    if not isinstance(reason, str):
        raise ExternalError("the answer's reason is not a string")
    raw_scores = data.get("scores", {})
    if not isinstance(raw_scores, dict):
        raise ExternalError("the answer's scores are not an object")
    scores: dict[str, float] = {}
    for name, value in list(raw_scores.items())[:20]:
        if (
            not isinstance(name, str)
            or isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0.0 <= value <= 1.0
        ):
            raise ExternalError("the answer's scores are not numbers between 0 and 1")
        scores[name[:40]] = float(value)
    # The reason is the service's own words about the comment, kept short.
    return action, " ".join(reason.split())[:200], scores
