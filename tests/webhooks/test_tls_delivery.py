"""Webhooks over https, on SQLite and PostgreSQL: the delivery connects to the address it
checked while the certificate is checked for the URL's host name (sent as SNI); a certificate
for another name is a failure, and nothing is sent in clear. The receiver's certificate is made
by openssl here and trusted through ``SSL_CERT_FILE``, as an operator would trust a private CA."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from rostra.jobs.registry import JobHandlers
from rostra.services.webhooks import DELIVER_JOB
from rostra.storage.repository import SqlStore
from rostra.storage.webhooks import SqlWebhookStore
from rostra.webhooks.delivery import Deliverer
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import World


def certificate(folder: Path, name: str) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def tls_receiver(cert: Path, key: Path) -> Receiver:
    receiver = Receiver()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    return receiver.start()


def world_for(store: SqlStore, names: dict[str, list[str]]) -> World:
    world = World(store, timeout_seconds=5.0)
    world.hooks.resolve = lambda host, port: names[host]
    handlers = JobHandlers()
    handlers.register(
        DELIVER_JOB,
        Deliverer(
            SqlWebhookStore(store.engines),
            store,
            world.delivery,
            resolve=lambda host, port: names[host],
        ),
    )
    world.runner.handlers = handlers
    return world


@pytest.mark.parametrize("served_as", ["hooks.test", "someone-else.test"])
def test_https_checks_the_certificate_for_the_url_s_name(
    store: SqlStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served_as: str
) -> None:
    cert, key = certificate(tmp_path, served_as)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    # The name resolves to loopback (allowed in this world); the connection goes there.
    world = world_for(store, {"hooks.test": ["127.0.0.1"]})
    receiver = tls_receiver(cert, key)
    try:
        world.endpoint(f"https://hooks.test:{receiver.port}/hook")
        world.post()
        assert world.run() == 1
    finally:
        receiver.stop()
    if served_as == "hooks.test":
        assert len(receiver.received) == 1
        assert receiver.received[0].headers["Host"] == f"hooks.test:{receiver.port}"
        assert world.log() == [(True, 200, "delivered")]
        assert world.states() == ["done"]
    else:
        assert receiver.received == []
        [(ok, status, outcome)] = world.log()
        assert (ok, status, outcome) == (False, None, "unreachable (SSLCertVerificationError)")
        assert world.states() == ["queued"]
