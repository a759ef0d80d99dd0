"""The signed external phase against a real HTTP server on a kernel-assigned port.

The server checks Rostra's signature on every request and answers as a scenario says: a good
signed verdict, a wrong signature, garbage, an error status, or nothing until the client gives up.
Every failure must hold the comment; none may publish it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from rostra.moderation.phases.external import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    External,
    ExternalConfig,
)
from rostra.moderation.record import Action, ModerationRecord, PolicyError
from tests.moderation.helpers import submission

SECRET = "a-shared-secret-of-the-newsroom"


def signature(timestamp: str, body: bytes, secret: str = SECRET) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass
class Service:
    """What the fake newsroom service does next, and what it received."""

    scenario: str = "publish"
    received: list[dict[str, Any]] = field(default_factory=list)
    signatures_ok: list[bool] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def make_handler(service: Service) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output quiet
            return

        def do_POST(self) -> None:  # noqa: N802 - the http.server naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            stamp = self.headers.get(TIMESTAMP_HEADER, "")
            service.signatures_ok.append(
                hmac.compare_digest(self.headers.get(SIGNATURE_HEADER, ""), signature(stamp, body))
            )
            service.received.append(json.loads(body))
            scenario = service.scenario
            if scenario == "slow":
                # Answer only once the test is over: the client must give up first.
                service.release.wait(10)
            if scenario == "status":
                self.send_response(503)
                self.end_headers()
                return
            answers = {
                "publish": {"verdict": "publish", "scores": {"rudeness": 0.1}},
                "hold": {"verdict": "hold", "reason": "off topic", "scores": {"rudeness": 0.4}},
                "reject": {"verdict": "reject", "reason": "slur", "scores": {"rudeness": 0.99}},
                "bad-verdict": {"verdict": "publish-please"},
                "bad-scores": {"verdict": "publish", "scores": {"rudeness": 7}},
            }
            if scenario in answers or scenario in ("bad-signature", "unsigned", "slow"):
                out = json.dumps(answers.get(scenario, answers["publish"])).encode()
            elif scenario == "garbage":
                out = b"\x00\xffnot json at all"
            else:  # "huge"
                out = b'{"verdict": "publish", "reason": "' + b"x" * 200_000 + b'"}'
            sign_with = "wrong-secret-entirely" if scenario == "bad-signature" else SECRET
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            if scenario != "unsigned":
                self.send_header(SIGNATURE_HEADER, signature(stamp, out, sign_with))
            self.end_headers()
            # The client may give up on purpose (an answer too large).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(out)

    return Handler


@pytest.fixture
def service() -> Iterator[tuple[Service, str]]:
    state = Service()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{httpd.server_address[1]}/classify?v=1"
    state.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def phase_for(url: str, timeout: float = 1.0) -> External:
    config = ExternalConfig.from_mapping({"url": url, "secret": SECRET, "timeout_seconds": timeout})
    assert config is not None
    return External(config)


BODY = "The harbour plan ignores the fishing families entirely."


def test_signed_verdicts_are_followed(service: tuple[Service, str]) -> None:
    state, url = service
    phase = phase_for(url)

    record = ModerationRecord(language="en", scores={"toxicity": 0.1})
    assert phase(submission(BODY), record) is None
    assert record.scores["external_rudeness"] == pytest.approx(0.1)
    sent = state.received[-1]
    assert sent["body"] == BODY and sent["language"] == "en" and sent["site"] == "news"
    assert sent["scores"] == {"toxicity": 0.1}
    assert state.signatures_ok == [True]

    state.scenario = "hold"
    verdict = phase(submission(BODY), ModerationRecord())
    assert verdict is not None and verdict.action is Action.HOLD
    assert verdict.reason == "external classifier: off topic"

    state.scenario = "reject"
    verdict = phase(submission(BODY), ModerationRecord())
    assert verdict is not None and verdict.action is Action.REJECT and verdict.message


@pytest.mark.parametrize(
    ("scenario", "why"),
    [
        ("bad-signature", "signature"),
        ("unsigned", "signature"),
        ("garbage", "not JSON"),
        ("bad-verdict", "no valid verdict"),
        ("bad-scores", "scores"),
        ("status", "HTTP status 503"),
        ("huge", "too large"),
        ("slow", "timed out"),
    ],
)
def test_failures_hold_never_publish(service: tuple[Service, str], scenario: str, why: str) -> None:
    state, url = service
    state.scenario = scenario
    verdict = phase_for(url, timeout=0.3)(submission(BODY), ModerationRecord())
    assert verdict is not None
    assert verdict.action is Action.HOLD
    assert why in verdict.reason
    assert BODY not in verdict.reason


def test_unreachable_service_holds() -> None:
    # A port nobody listens on: bind one, note it, close it.
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    verdict = phase_for(f"http://127.0.0.1:{port}/")(submission(BODY), ModerationRecord())
    assert verdict is not None and verdict.action is Action.HOLD
    assert "unreachable" in verdict.reason


def test_config_is_checked() -> None:
    assert ExternalConfig.from_mapping({}) is None
    assert ExternalConfig.from_mapping({"enabled": False, "url": "x", "secret": "y"}) is None
    with pytest.raises(PolicyError, match="http"):
        ExternalConfig.from_mapping({"url": "ftp://x.example/", "secret": SECRET})
    with pytest.raises(PolicyError, match="secret"):
        ExternalConfig.from_mapping({"url": "https://x.example/", "secret": "short"})
    with pytest.raises(PolicyError, match="timeout_seconds"):
        ExternalConfig.from_mapping(
            {"url": "https://x.example/", "secret": SECRET, "timeout_seconds": 60}
        )
