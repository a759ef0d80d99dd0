"""The demo site's pages: an invented news article with Rostra embedded under it.

The article page is built the way a newsroom would build it: its own masthead and story, then the
one embed script tag, with the thread's server-rendered fragment already inside
``#rostra-thread`` so readers without JavaScript (and search engines) get the comments too; the
script adopts that fragment instead of fetching it again.

The pages' templates are the demo's own (``rostra/demo/templates``), in an environment of their
own; the thread inside them is rendered by Rostra's templates, as on any other host page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from babel.dates import format_date, format_time
from jinja2 import Environment
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from rostra.demo.content import (
    ARTICLE,
    IMAGE_HEIGHT,
    IMAGE_WIDTH,
    SITE_NAME,
    SITE_SLUG,
    STATIC_URL,
    THREAD_ID,
    first_minute,
)
from rostra.demo.funding_seed import open_campaign
from rostra.domain.errors import N_, NotFound
from rostra.domain.models import Site, SortOrder, ThreadPage
from rostra.i18n import translations
from rostra.web import context as web
from rostra.web.pages.fragments import base_url, render_thread, thread_link
from rostra.web.pages.meter import reader_locale, render_meter
from rostra.web.render import make_environment, render

ARTICLES = {ARTICLE.slug: ARTICLE}

# The comments' theme switch under the article (README, "Theming"): the Courier is a light paper,
# so its comments are light unless the reader picks otherwise.
THEMES = (("light", N_("Light")), ("dark", N_("Dark")), ("auto", N_("Follow my system")))
DEFAULT_THEME = "light"


@cache
def _templates() -> Environment:
    """The demo's templates, loaded on the first page (not at import)."""
    return make_environment("rostra.demo")


def _site(request: Request) -> Site | None:
    """The demo's site; None until ``rostra demo`` has seeded it."""
    try:
        return web.context(request).discussion.site(SITE_SLUG)
    except NotFound:
        return None


def _thread_page(request: Request, site: Site) -> ThreadPage | None:
    """The first page of the demo thread as the fragment shows it; None before any comment."""
    try:
        return web.context(request).discussion.page(
            site, THREAD_ID, SortOrder.NEWEST, None, site.settings.page_size
        )
    except NotFound:
        return None


def _published(page: ThreadPage | None) -> datetime | None:
    """When the article came out: its thread opened with the first comment, minutes later."""
    if page is None or page.thread is None:
        return None
    return page.thread.created_at - timedelta(minutes=first_minute())


def _headers(lang: str) -> dict[str, str]:
    return {"Content-Language": lang, "Vary": "Accept-Language", "Cache-Control": "no-cache"}


def _common(request: Request, lang: str) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "site_name": SITE_NAME,
        "root": base_url(request),
        "demo_static": STATIC_URL,
        "edition": format_date(now, "full", locale=lang),
    }


async def index(request: Request) -> Response:
    """The Courier's front page: the top story, and what to try in the demo."""
    lang = web.language(request)
    site = await web.off_loop(_site, request)
    page = await web.off_loop(_thread_page, request, site) if site is not None else None
    body = render(
        _templates(),
        "index.html",
        lang,
        article=ARTICLE,
        comment_count=page.total_comments if page else 0,
        standalone=thread_link(site, THREAD_ID, "") if site is not None else None,
        **_common(request, lang),
    )
    return HTMLResponse(body, headers=_headers(lang))


async def _meter(request: Request, site: Site, lang: str) -> str | None:
    """The campaign's meter, rendered as the embed would fetch it (None: no open campaign)."""
    funding = web.context(request).funding
    if funding is None:
        return None
    campaign = await web.off_loop(open_campaign, funding, site)
    if campaign is None:
        return None
    request.scope["rostra.demo.campaign"] = campaign.public_id
    return render_meter(request, site, campaign, lang, reader_locale(request, lang))


def _campaign_id(request: Request) -> str:
    found: str = request.scope.get("rostra.demo.campaign", "")
    return found


async def support(request: Request) -> Response:
    """How to give to the Courier offline (the card payment path comes with Stripe)."""
    lang = web.language(request)
    body = render(_templates(), "support.html", lang, **_common(request, lang))
    return HTMLResponse(body, headers=_headers(lang))


async def article(request: Request) -> Response:
    """One article page with its discussion, or a readable 404 page for any other name."""
    lang = web.language(request)
    story = ARTICLES.get(request.path_params["article"])
    if story is None:
        body = render(_templates(), "not_found.html", lang, **_common(request, lang))
        return HTMLResponse(body, status_code=404, headers=_headers(lang))
    site = await web.off_loop(_site, request)
    page = await web.off_loop(_thread_page, request, site) if site is not None else None
    thread_html = render_thread(request, site, THREAD_ID, page, lang) if site else None
    meter_html = await _meter(request, site, lang) if site else None
    published = _published(page)
    gettext = translations(lang).gettext
    when = (
        gettext("%(date)s at %(time)s UTC")
        % {
            "date": format_date(published, "long", locale=lang),
            "time": format_time(published, "short", tzinfo=UTC, locale=lang),
        }
        if published is not None
        else ""
    )
    root = base_url(request)
    theme = request.query_params.get("theme", DEFAULT_THEME)
    if theme not in {value for value, _ in THEMES}:
        theme = DEFAULT_THEME  # a made-up value shows the default, as the embed would
    body = render(
        _templates(),
        "article.html",
        lang,
        article=story,
        published=published,
        published_text=when,
        page=page,
        thread_html=thread_html,
        meter_html=meter_html,
        campaign=meter_html and _campaign_id(request),
        thread_id=THREAD_ID,
        site_slug=SITE_SLUG,
        theme=theme,
        themes=THEMES,
        url=f"{root}/demo/{story.slug}",
        image_width=IMAGE_WIDTH,
        image_height=IMAGE_HEIGHT,
        standalone=thread_link(site, THREAD_ID, "") if site is not None else None,
        **_common(request, lang),
    )
    return HTMLResponse(body, headers=_headers(lang))
