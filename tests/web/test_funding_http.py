"""The funding meter and the campaign's JSON over HTTP, on SQLite and PostgreSQL: amounts in the
reader's locale, an accessible progress bar with its sentence, right to left where the locale
is, ETags that turn into 304s until a donation lands, the site's origins only, and precise
errors for another site's campaign, an unknown one or none."""

from __future__ import annotations

import html
import re
from datetime import date

import httpx
import pytest

from rostra.domain.funding import EntryKind, NewEntry, Source
from rostra.domain.webhooks import Actor
from rostra.services.funding import CampaignFields, Funding, OfflineDonation
from rostra.storage.funding import SqlFundingStore
from tests.conftest import HOST_ORIGIN, LiveServer
from tests.helpers import API

pytestmark = pytest.mark.in_process

ADMIN = Actor(1, "Ada")
NBSP = "\xa0"


def campaign(
    server: LiveServer,
    title: str = "Winter drive",
    currency: str = "CAD",
    goal: str = "5000",
    site: str = "demo",
    **extra: str,
) -> tuple[Funding, str]:
    f = Funding(SqlFundingStore(server.store.engines))
    found = server.store.get_site(site)
    assert found is not None
    fields = CampaignFields(title=title, goal=goal, currency=currency, **extra)
    return f, f.add_campaign(found, fields, ADMIN).public_id


def give(
    server: LiveServer, f: Funding, cid: str, amount: str, key: str, currency: str = "CAD"
) -> None:
    site = server.store.get_site("demo")
    assert site is not None
    form = OfflineDonation(
        campaign=cid, amount=amount, currency=currency, method="cash", on="2026-12-07", key=key
    )
    f.record_offline(site, form, ADMIN)


def meter(http: httpx.Client, cid: str, locale: str, **headers: str) -> httpx.Response:
    return http.get(
        "/embed/demo/meter",
        params={"campaign": cid},
        headers={"Accept-Language": locale, **headers},
    )


def text_of(body: str) -> str:
    """The fragment's visible sentence, tags stripped."""
    found = re.search(r'class="rostra-meter-text"[^>]*>(.*?)</p>', body, re.S)
    assert found is not None, body
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def test_the_meter_speaks_the_reader_s_locale(server: LiveServer, http: httpx.Client) -> None:
    f, cad = campaign(server)
    give(server, f, cad, "895", "k1")
    fr = meter(http, cad, "fr-CA,fr;q=0.9")
    assert fr.status_code == 200 and fr.headers["content-type"].startswith("text/html")
    assert text_of(fr.text) == f"895{NBSP}$ recueillis sur 5{NBSP}000{NBSP}$"
    assert 'lang="fr-CA"' in fr.text and 'dir="ltr"' in fr.text
    _, usd = campaign(server, title="US drive", currency="USD")
    give(server, f, usd, "895", "k2", currency="USD")
    assert text_of(meter(http, usd, "en-US").text) == "$895 raised of $5,000"
    _, eur = campaign(server, title="Spendenaktion", currency="EUR")
    give(server, f, eur, "895.50", "k3", currency="EUR")
    # Cents somewhere on the meter: every amount shows them, so the figures line up.
    assert text_of(meter(http, eur, "de-DE").text) == f"895,50{NBSP}€ raised of 5.000,00{NBSP}€"
    # ?locale= (what the embed script passes, from the host page's lang) wins over the header.
    asked = http.get("/embed/demo/meter", params={"campaign": usd, "locale": "de-DE"})
    assert text_of(asked.text) == f"895{NBSP}$ raised of 5.000{NBSP}$"


def test_the_meter_is_an_accessible_progress_bar_with_ticks(
    server: LiveServer, http: httpx.Client
) -> None:
    f, cid = campaign(server, currency="USD", ticks="0,2500,5000")
    give(server, f, cid, "895", "k1", currency="USD")
    body = meter(http, cid, "en-US").text
    bar = re.search(r"<progress[^>]*>(.*?)</progress>", body, re.S)
    assert bar is not None
    assert 'max="500000"' in bar.group(0) and 'value="89500"' in bar.group(0)
    assert html.unescape(bar.group(1)) == "$895 raised of $5,000"  # the text equivalent
    described = re.search(r'aria-describedby="([^"]+)"', bar.group(0))
    assert described is not None and f'id="{described.group(1)}"' in body
    ticks = re.findall(r'<li style="inset-inline-start: ([\d.]+)%"><bdi>([^<]+)</bdi>', body)
    assert ticks == [("0.0", "$0"), ("50.0", "$2,500"), ("100.0", "$5,000")]


def test_right_to_left_locales_get_a_right_to_left_meter(
    server: LiveServer, http: httpx.Client
) -> None:
    _, cid = campaign(server, currency="EGP")
    body = meter(http, cid, "ar-EG").text
    assert 'dir="rtl"' in body and 'lang="ar-EG"' in body
    assert "<bdi>" in body  # every amount isolated


def test_etags_turn_into_304s_until_a_donation_lands(
    server: LiveServer, http: httpx.Client
) -> None:
    f, cid = campaign(server)
    first = meter(http, cid, "en-CA")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert first.headers["access-control-allow-origin"] == HOST_ORIGIN
    assert meter(http, cid, "en-CA", **{"If-None-Match": etag}).status_code == 304
    url = f"{API}/campaigns/{cid}"
    data = http.get(url)
    assert data.status_code == 200 and data.headers["access-control-allow-origin"] == HOST_ORIGIN
    body = data.json()
    assert (body["goal"], body["raised_minor"], body["currency"]) == (500000, 0, "CAD")
    assert (body["donations"], body["donors"], body["exponent"]) == (0, 0, 2)
    json_etag = data.headers["etag"]
    assert http.get(url, headers={"If-None-Match": json_etag}).status_code == 304
    give(server, f, cid, "40", "k1")
    moved = http.get(url, headers={"If-None-Match": json_etag})
    assert moved.status_code == 200 and moved.json()["raised_minor"] == 4000
    again = meter(http, cid, "en-CA", **{"If-None-Match": etag})
    assert again.status_code == 200 and "$40" in again.text


def test_the_json_follows_refunds(server: LiveServer, http: httpx.Client) -> None:
    f, cid = campaign(server)
    site = server.store.get_site("demo")
    assert site is not None
    for event, kind, minor in (("e1", EntryKind.PAYMENT, 5000), ("e2", EntryKind.REFUND, 2000)):
        f.record(
            site,
            NewEntry(cid, Source.STRIPE, event, kind, minor, "CAD", "pi_1", on=date(2026, 12, 7)),
            "test",
        )
    body = http.get(f"{API}/campaigns/{cid}").json()
    assert (body["raised_minor"], body["donations"], body["donors"]) == (3000, 1, 1)


def test_titles_are_escaped(server: LiveServer, http: httpx.Client) -> None:
    _, cid = campaign(server, title='<img src=x onerror="alert(1)">Drive')
    body = meter(http, cid, "en").text
    assert "<img" not in body and "&lt;img src=x" in body


def test_another_site_s_campaign_an_unknown_one_or_none_are_precise_errors(
    server: LiveServer, http: httpx.Client
) -> None:
    server.store.create_site("other", "Other", [], {})
    _, foreign = campaign(server, site="other")
    for path in (
        f"/embed/demo/meter?campaign={foreign}",
        f"{API}/campaigns/{foreign}",
        "/embed/demo/meter?campaign=cmp_0123456789abcdef",
        f"{API}/campaigns/nope",
        "/embed/demo/meter?campaign=%00",
    ):
        r = http.get(path)
        assert r.status_code == 404, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "campaign-not-found"
    missing = http.get("/embed/demo/meter")
    assert missing.status_code == 400 and missing.headers["content-type"] == (
        "application/problem+json"
    )
    assert http.get(f"/embed/nowhere/meter?campaign={foreign}").status_code == 404


def test_the_embed_script_is_small_and_names_only_this_server(http: httpx.Client) -> None:
    script = http.get("/static/meter.js")
    assert script.status_code == 200 and len(script.content) < 4000
    assert re.findall(r"https?://[^\s'\"`]+", script.text) == [
        "https://comments.example/static/meter.js"
    ]


def test_a_locale_that_is_not_one_falls_back_and_is_not_kept(
    server: LiveServer, http: httpx.Client
) -> None:
    _, cid = campaign(server, currency="USD")
    ctx = server.app.app.ctx  # the app's web context, behind the edge and the fast reads
    for odd in ("x" * 200, "<script>", "en_US\x00", "zz-ZZ", ""):
        r = http.get(
            "/embed/demo/meter",
            params={"campaign": cid, "locale": odd},
            headers={"Accept-Language": "en-US"},
        )
        assert r.status_code == 200 and 'lang="en-US"' in r.text, odd
        assert text_of(r.text) == "$0 raised of $5,000"
    # Only a locale Babel knows is ever part of a cache key.
    kept = {key[5] for key in ctx.cache._entries if key[0] == "meter"}
    assert kept == {"en_US"}
