"""HTML endpoints: the embed fragment, the standalone thread page and its no-JavaScript forms
(posting, voting, and reporting a comment to the moderators).

The forms' access rules (allowed origin, body limit) come from their route's group
(rostra.web.routes.READER_PAGE, READER's rules); every service call that may wait on I/O runs
off the loop. A person reads what the page and the forms answer, so their groups wrap them in
``refusals_as_pages``: a refusal (a foreign origin, an unknown site, a vote that cannot count)
is a page with the reason, never a problem document. The embed's fragment, which its script
reads, answers a refusal with a problem document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rostra.domain.desk import REPORT_REASON_LABELS
from rostra.domain.errors import (
    N_,
    InvalidInput,
    InvalidQuery,
    NotFound,
    RostraError,
    TooManyRequests,
)
from rostra.domain.models import Author, Comment, CommentStatus, Site, Thread, ThreadPage
from rostra.i18n import translations
from rostra.services.discussion import CivilityNudge, PostRequest
from rostra.services.reports import MAX_NOTE
from rostra.web import context as web
from rostra.web.cached import cached_thread_response
from rostra.web.headers import site_page_headers
from rostra.web.pages.feeds import thread_feed_path
from rostra.web.pages.fragments import HELD_MESSAGE, base_url, render_thread
from rostra.web.render import render
from rostra.web.requests import PUBLIC_ID, read_form
from rostra.web.security import client_ip, is_https, origin_of, own_origin, request_origin
from rostra.web.thread_reads import ThreadRead, parse_thread_read

HTML = "text/html; charset=utf-8"
READER_COOKIE = "rostra_reader"


def _page_or_none(request: Request, site: Site, read: ThreadRead) -> ThreadPage | None:
    ctx = web.context(request)
    try:
        return ctx.discussion.page(site, read.thread, read.sort, read.cursor, read.limit)
    except NotFound as exc:
        if exc.code == "thread-not-found":
            return None
        raise


async def _cached_thread(request: Request, site: Site, kind: str) -> Response:
    """Render (or reuse) the thread section or the whole standalone page."""
    ctx = web.context(request)
    read = parse_thread_read(request.query_params, site)
    thread = read.thread
    lang = web.language(request)

    def build() -> bytes:
        page = _page_or_none(request, site, read)
        reply_to = _replying_to(request, site, page, read.reply or "")
        html = render_thread(
            request, site, thread, page, lang, reply_to=reply_to, standalone=kind == "page"
        )
        if kind == "page":
            title = page.thread.title if page and page.thread and page.thread.title else thread
            html = render(
                ctx.env,
                "page.html",
                lang,
                title=title,
                root=base_url(request),
                thread_html=html,
                canonical=None,
                article_url=page.thread.url if page and page.thread else None,
                feed_url=base_url(request) + thread_feed_path(site, thread),
            )
        return html.encode("utf-8")

    return await cached_thread_response(request, site, read, kind, HTML, build)


async def embed_fragment(request: Request) -> Response:
    return await _cached_thread(request, await web.site(request), "fragment")


async def standalone_page(request: Request) -> Response:
    site = await web.site(request)
    try:
        return await _cached_thread(request, site, "page")
    except InvalidQuery as exc:
        # A person reads this page: the thread (when its id is usable) with the reason on it.
        lang = web.language(request)
        thread = request.query_params.get("thread", "") if exc.field != "thread" else ""
        error = exc.translated(translations(lang).gettext)
        return await _form_page(request, site, thread, lang, exc.status, error=error)


def _back_to_thread(site: Site, thread: str, anchor: str, lang: str | None) -> str:
    params = {"thread": thread}
    if lang:
        params["lang"] = lang
    return f"/t/{site.slug}?{urlencode(params)}#{anchor}"


def _after_form(request: Request, site: Site, thread: Thread | None, anchor: str) -> str:
    """Where a no-JavaScript form leads: back to the article the reader came from.

    A form sent from a page of the site's (the fragment inside an article) returns to the
    article, when its address is on one of the site's allowed origins, so the reader is never
    left on the comment server's domain; one sent from Rostra's own thread page stays there.
    """
    came_from = request_origin(request)
    if (
        thread is not None
        and thread.url
        and came_from
        and came_from != own_origin(request)
        and site.allows_origin(origin_of(thread.url))
    ):
        return f"{thread.url.split('#', 1)[0]}#{anchor}"
    external_id = thread.external_id if thread else ""
    return _back_to_thread(site, external_id, anchor, request.query_params.get("lang"))


def _token_from_cookie(request: Request, site: Site) -> str | None:
    return request.cookies.get(f"{READER_COOKIE}_{site.id}")


def _cookie_reader(request: Request, site: Site) -> tuple[Author, str | None]:
    """The reader the no-JS forms' cookie names, and the token to set when a new one was
    issued: a reader without a cookie (or with one that no longer verifies) gets a new token,
    as a first comment through the API would. Verifying a token is signing only: no I/O."""
    discussion = web.context(request).discussion
    token = _token_from_cookie(request, site)
    if token is not None:
        try:
            return discussion.author(site, token), None
        except RostraError:
            pass
    issued = web.context(request).tokens.issue(site.id)
    return discussion.author(site, issued), issued


def _set_token(response: Response, request: Request, site: Site, token: str) -> None:
    response.set_cookie(
        f"{READER_COOKIE}_{site.id}",
        token,
        max_age=400 * 86400,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path=f"/t/{site.slug}",
    )


async def post_form(request: Request) -> Response:
    """The no-JavaScript comment form: post, then go back to the thread (303).

    A comment that would be held for its tone comes back in the form with the civility nudge and
    a second button, "Post anyway" (``confirm=1``); the first button checks the text again.
    """
    site = await web.site(request)
    ctx = web.context(request)
    lang = web.language(request)
    try:
        form = await read_form(request)
    except RostraError as exc:
        message = exc.translated(translations(lang).gettext)
        return await _form_page(request, site, "", lang, exc.status, error=message)
    thread = form.get("thread", "")
    new_token = None
    try:
        author, new_token = _cookie_reader(request, site)
        comment = await web.off_loop_write(
            ctx,
            ctx.discussion.post,
            site,
            PostRequest(
                thread_external_id=thread,
                body=form.get("body", ""),
                author_name=form.get("author"),
                email=form.get("email") or None,
                parent_public_id=form.get("parent") or None,
                client_ip=client_ip(request, ctx.settings.proxy_networks),
                confirmed=form.get("confirm") == "1",
                new_reader=new_token is not None,
                notify=form.get("notify") or "none",
                language=lang,
            ),
            author,
        )
    except RostraError as exc:
        if exc.code in ("site-not-found",):
            raise
        message = exc.translated(translations(lang).gettext)
        nudge = isinstance(exc, CivilityNudge)
        return await _form_page(
            request, site, thread, lang, exc.status, error=message, form=form, nudge=nudge
        )
    if comment.status is not CommentStatus.PUBLISHED:
        notice = translations(lang).gettext(HELD_MESSAGE)
        response = await _form_page(request, site, thread, lang, 202, notice=notice)
    else:
        thread_row = await web.off_loop(ctx.reading.thread_of, comment)
        back = _after_form(request, site, thread_row, f"c-{comment.public_id}")
        response = RedirectResponse(back, status_code=303)
    if new_token:
        _set_token(response, request, site, new_token)
    return response


async def _form_page(
    request: Request,
    site: Site,
    thread: str,
    lang: str,
    status: int,
    *,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, str] | None = None,
    nudge: bool = False,
) -> Response:
    """The thread page again after a no-JS post, with the form's error or notice on it.

    The form keeps what was typed, and the reply it was (so "Post anyway" still replies);
    ``nudge`` adds the "Post anyway" button.
    """
    ctx = web.context(request)
    try:
        read = parse_thread_read({"thread": thread}, site)
        page = await web.off_loop(_page_or_none, request, site, read)
    except RostraError:
        page = None  # the thread id itself was the problem; the error says so
    # "nudge" in the template's form data shows the button; only this flag may set it.
    shown = {k: v for k, v in (form or {}).items() if k != "nudge"}
    if nudge:
        shown["nudge"] = "1"
    reply_to = await web.off_loop(_replying_to, request, site, page, shown.get("parent", ""))
    html = render_thread(
        request,
        site,
        thread,
        page,
        lang,
        reply_to=reply_to,
        standalone=True,
        error=error,
        notice=notice,
        form=shown,
    )
    body = render(
        ctx.env,
        "page.html",
        lang,
        title=page.thread.title if page and page.thread and page.thread.title else thread,
        root=base_url(request),
        thread_html=html,
        canonical=None,
        article_url=page.thread.url if page and page.thread else None,
        feed_url=base_url(request) + thread_feed_path(site, thread) if thread else None,
    )
    return _html(body, status, site)


def _replying_to(
    request: Request, site: Site, page: ThreadPage | None, parent: str
) -> Comment | None:
    """The comment a no-JS reply answers: a published comment of this very thread, else None
    (``?reply=`` must never name, or reveal the author of, a held comment or another thread's)."""
    if not parent or page is None or page.thread is None or not PUBLIC_ID.fullmatch(parent):
        return None
    found = web.context(request).reading.published(site, parent)
    return found if found is not None and found.thread_id == page.thread.id else None


VOTE_VALUES = ("1", "-1", "0")  # up, down, none (the buttons send 1 or -1)


async def vote_form(request: Request) -> Response:
    """The no-JavaScript vote buttons."""
    site = await web.site(request)
    ctx = web.context(request)
    form = await read_form(request)
    token = _token_from_cookie(request, site)
    response_token = None
    if token is None:
        token = response_token = ctx.tokens.issue(site.id)
    voter = ctx.discussion.author(site, token)
    value = form.get("value", "")
    if value not in VOTE_VALUES:
        # Only the page's own buttons send a value; anything else is refused, not read as 0.
        raise InvalidInput(N_("A vote is 1, -1 or 0."), code="invalid-vote", field="value")
    comment_id = form.get("comment", "")
    comment = await web.off_loop(ctx.discussion.comment, site, comment_id)
    thread = await web.off_loop(ctx.reading.thread_of, comment)
    _, votes = await web.off_loop(ctx.discussion.reader_state, site, thread.external_id, voter)
    number = int(value)
    if votes.get(comment_id) == number:
        number = 0  # pressing the same button again takes the vote back
    try:
        await web.off_loop_write(ctx, ctx.discussion.vote, site, comment_id, number, voter)
    except RostraError as exc:
        # Refused (one's own comment, a ban): the reason, and the way back to the comment.
        lang = web.language(request)
        back = base_url(request) + _back_to_thread(
            site, thread.external_id, f"c-{comment_id}", lang
        )
        return refusal_page(request, exc, back=back)
    response = RedirectResponse(
        _after_form(request, site, thread, f"c-{comment_id}"), status_code=303
    )
    if response_token:
        _set_token(response, request, site, response_token)
    return response


REPORT_TITLE = N_("Report a comment")
REPORT_THANKS = N_("Thank you. The moderators will look at it.")


def _reported(request: Request, site: Site, public_id: str) -> tuple[Comment, Thread]:
    """The published comment a no-JS report is about, and its thread; else 404."""
    reading = web.context(request).reading
    comment = reading.published(site, public_id) if PUBLIC_ID.fullmatch(public_id) else None
    if comment is None:
        raise NotFound(N_("This comment does not exist."), code="comment-not-found")
    return comment, reading.thread_of(comment)


async def report_page(request: Request) -> Response:
    """The no-JavaScript report form for one comment (``?comment=``, ``?thread=`` optional).

    With ``sent=1`` (where a sent report leads) it is the thread again, thanking the reader.
    """
    site = await web.site(request)
    lang = web.language(request)
    params = request.query_params
    if params.get("sent") == "1":
        notice = translations(lang).gettext(REPORT_THANKS)
        return await _form_page(request, site, params.get("thread", ""), lang, 200, notice=notice)
    try:
        found = await web.off_loop(_reported, request, site, params.get("comment", ""))
        if params.get("thread") and params["thread"] != found[1].external_id:
            raise NotFound(N_("This comment does not exist."), code="comment-not-found")
    except RostraError as exc:
        return _report_response(request, site, None, lang, exc, params.get("thread"))
    return _report_response(request, site, found, lang)


async def report_form(request: Request) -> Response:
    """The no-JavaScript report: record it, then back to the thread (303), or the form again.

    The reader is known by the same cookie as the no-JS comment form; a reader without one (or
    with one that no longer verifies) gets a new token, as a first comment would.
    """
    site = await web.site(request)
    ctx = web.context(request)
    lang = web.language(request)
    found: tuple[Comment, Thread] | None = None
    try:
        form = await read_form(request)
    except RostraError as exc:
        return _report_response(request, site, None, lang, exc)
    new_token = None
    try:
        found = await web.off_loop(_reported, request, site, form.get("comment", ""))
        reporter, new_token = _cookie_reader(request, site)
        reason, note = form.get("reason", ""), form.get("note", "")
        address = client_ip(request, ctx.settings.proxy_networks)
        await web.off_loop_write(
            ctx, ctx.reports.report, site, found[0].public_id, reason, note, reporter, address
        )
    except RostraError as exc:
        if exc.code == "site-not-found":
            raise
        return _report_response(request, site, found, lang, exc, form=form)
    query = {"thread": found[1].external_id, "lang": lang, "sent": "1"}
    response = RedirectResponse(
        f"/t/{site.slug}/report?{urlencode(query)}#rostra-form", status_code=303
    )
    if new_token:
        _set_token(response, request, site, new_token)
    return response


def _report_response(
    request: Request,
    site: Site,
    found: tuple[Comment, Thread] | None,
    lang: str,
    error: RostraError | None = None,
    thread: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    """The report page: the comment, the form (while there is something to fix) and any error.

    A refusal the reader cannot fix by changing the form (already reported, their own comment)
    shows the error and the way back, not the form again.
    """
    root = base_url(request)
    comment = found[0] if found else None
    thread = found[1].external_id if found else thread
    back = None
    if thread:
        anchor = f"c-{comment.public_id}" if comment else "rostra-title"
        back = root + _back_to_thread(site, thread, anchor, lang)
    gettext = translations(lang).gettext
    body = render(
        web.context(request).env,
        "report.html",
        lang,
        title=gettext(REPORT_TITLE),
        root=root,
        site=site,
        comment=comment,
        reasons=[(reason.value, label) for reason, label in REPORT_REASON_LABELS.items()],
        max_note=MAX_NOTE,
        action=f"{root}/t/{site.slug}/report?{urlencode({'lang': lang})}",
        back=back,
        form=form or {},
        show_form=error is None or isinstance(error, InvalidInput),
        error=error.translated(gettext) if error else None,
        error_field=error.field if error else None,
    )
    return _html(body, error.status if error else 200, site)


def _html(body: str, status: int, site: Site) -> Response:
    """A page of the site's that is never cached, framed only by the site's own pages."""
    return Response(body, status_code=status, media_type=HTML, headers=site_page_headers(site))


def refusals_as_pages(
    guarded: Callable[..., Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """The reader pages' groups' wrapper: a refusal, from the group's rules or the handler, as
    a page (``refusal_page``)."""

    async def wrapped(request: Request) -> Response:
        try:
            return await guarded(request)
        except RostraError as exc:
            return refusal_page(request, exc)

    return wrapped


def refusal_page(request: Request, exc: RostraError, *, back: str | None = None) -> Response:
    """A refusal as a page a person can read: the reason, in their language, and the way back.

    For a site this request found, framed as its pages are; else only by this server's."""
    lang = web.language(request)
    message = exc.translated(translations(lang).gettext)
    body = render(
        web.context(request).env,
        "refusal.html",
        lang,
        title=message,
        root=base_url(request),
        message=message,
        back=back,
        canonical=None,
        feed_url=None,
    )
    site: Site | None = request.scope.get(web.SITE_KEY)
    headers = (
        site_page_headers(site)
        if site is not None
        else {"Content-Security-Policy": "frame-ancestors 'self'", "Cache-Control": "no-store"}
    )
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    return Response(body, status_code=exc.status, media_type=HTML, headers=headers)
