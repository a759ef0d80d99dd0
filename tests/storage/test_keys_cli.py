"""``rostra keys rotate-email --old-secret-file F`` on both databases: after a new secret_key,
every stored address is re-sealed under it (and found by its new hash); a rerun changes
nothing; a wrong old secret, a missing file or the current secret are one line and status 2,
with nothing changed."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from sqlalchemy import select

from rostra.cli import main
from rostra.domain.models import Author
from rostra.services.discussion import Discussion, PostRequest
from rostra.services.sealed_addresses import AddressBox
from rostra.services.subscriptions import FollowRequest
from rostra.services.tokens import ReaderTokens, Signer
from rostra.storage.repository import SqlStore
from rostra.storage.tables import subscribers
from tests.conftest import SECRET
from tests.storage.test_subscriptions_storage import service

NEW_SECRET = "the-new-secret-key-after-rotation-0123456789"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def sealed(store: SqlStore) -> list[str]:
    with store.engines.read.connect() as conn:
        return [r.address for r in conn.execute(select(subscribers).order_by(subscribers.c.id))]


def test_rotation_reseals_under_the_new_secret(
    store: SqlStore, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = store.create_site("news", "News", [], {})
    subs = service(store)
    Discussion(store, ReaderTokens(Signer(SECRET)), subscriptions=subs).post(
        site, PostRequest("t1", "Hello."), Author(None)
    )
    for address in ("one@news.example", "two_%@news.example"):
        subs.follow(site, FollowRequest("t1", address))
    old_file = tmp_path / "old-secret"
    old_file.write_text(SECRET + "\n", encoding="utf-8")
    monkeypatch.setenv("ROSTRA_SECRET_KEY", NEW_SECRET)
    before = sealed(store)

    wrong = tmp_path / "wrong"
    wrong.write_text("a-wrong-secret-key-that-is-long-enough-000", encoding="utf-8")
    for bad, says in [
        (tmp_path / "missing", "cannot read"),
        (wrong, "opens with neither secret"),
    ]:
        code, out, err = run(
            "keys", "rotate-email", "--old-secret-file", str(bad), "--database-url", db_url
        )
        assert code == 2 and out == "" and says in err and err.count("\n") == 1, err
        assert SECRET not in err and NEW_SECRET not in err
        assert sealed(store) == before
    same = tmp_path / "same"
    same.write_text(NEW_SECRET, encoding="utf-8")
    code, _, err = run(
        "keys", "rotate-email", "--old-secret-file", str(same), "--database-url", db_url
    )
    assert code == 2 and "nothing to rotate" in err

    args = ("keys", "rotate-email", "--old-secret-file", str(old_file), "--database-url", db_url)
    assert run(*args) == (
        0,
        "re-sealed 2 address(es) under the current secret_key; 0 already were\n",
        "",
    )
    assert run(*args)[1].startswith("re-sealed 0 address(es)")
    box = AddressBox(NEW_SECRET)
    assert [box.open(s, site.id) for s in sealed(store)] == [
        "one@news.example",
        "two_%@news.example",
    ]
    # Under the new secret the same address is the same subscriber.
    service(store, NEW_SECRET).follow(site, FollowRequest("t1", "one@news.example"))
    assert len(sealed(store)) == 2
