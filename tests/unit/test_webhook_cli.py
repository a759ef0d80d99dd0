"""``rostra webhook`` as an admin uses it, on SQLite and PostgreSQL: add prints the secret once
and list never shows it; a loopback, CR/LF or non-http(s) URL, an unknown site or endpoint is
one line, status 2, nothing stored."""

from __future__ import annotations

import pytest

from rostra.cli import main
from rostra.storage.repository import SqlStore
from rostra.storage.webhooks import SqlWebhookStore

pytestmark = pytest.mark.usefixtures("no_operator_environment")


def webhook(db_url: str, *args: str) -> int:
    return main(["--database-url", db_url, "webhook", *args])


def refused(capsys: pytest.CaptureFixture[str], code: int) -> str:
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def test_add_list_and_remove(
    db_url: str, store: SqlStore, capsys: pytest.CaptureFixture[str]
) -> None:
    site = store.create_site("mypaper", "My paper", [], {})
    url = "https://93.184.215.14/hooks/rostra"
    code = webhook(
        db_url, "add", "mypaper", url, "--event", "comment.published", "--event", "comment.held"
    )
    out, _ = capsys.readouterr()
    assert code == 0
    [endpoint] = SqlWebhookStore(store.engines).endpoints(site.id)
    assert endpoint.secret in out and endpoint.url == url
    assert [e.value for e in endpoint.events] == ["comment.published", "comment.held"]
    assert webhook(db_url, "list", "mypaper") == 0
    out, _ = capsys.readouterr()
    assert url in out and "comment.published,comment.held" in out and "enabled" in out
    assert endpoint.secret not in out
    assert webhook(db_url, "remove", "mypaper", str(endpoint.id)) == 0
    assert SqlWebhookStore(store.engines).endpoints(site.id) == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:8080/hook", "private, loopback"),
        ("http://[::1]/hook", "private, loopback"),
        ("http://10.0.0.7/hook", "private, loopback"),
        ("https://93.184.215.14/a\r\nHost: evil", "control characters"),
        ("gopher://93.184.215.14/", "https://"),
    ],
)
def test_bad_urls_are_refused_in_one_line_and_store_nothing(
    db_url: str, store: SqlStore, capsys: pytest.CaptureFixture[str], url: str, words: str
) -> None:
    site = store.create_site("mypaper", "My paper", [], {})
    err = refused(capsys, webhook(db_url, "add", "mypaper", url, "--event", "comment.held"))
    assert words in err
    assert SqlWebhookStore(store.engines).endpoints(site.id) == []


def test_an_unknown_site_or_endpoint_is_one_line(
    db_url: str, store: SqlStore, capsys: pytest.CaptureFixture[str]
) -> None:
    store.create_site("mypaper", "My paper", [], {})
    assert "no site called" in refused(capsys, webhook(db_url, "list", "nopaper"))
    assert "does not exist" in refused(capsys, webhook(db_url, "remove", "mypaper", "99"))


def test_a_loopback_url_is_accepted_where_private_addresses_are_allowed(
    db_url: str, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROSTRA_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    site = store.create_site("mypaper", "My paper", [], {})
    assert webhook(db_url, "add", "mypaper", "http://127.0.0.1:9/h", "--event", "comment.held") == 0
    assert len(SqlWebhookStore(store.engines).endpoints(site.id)) == 1
