""" "Notify me of" pages: following a thread without commenting (a no-JS form), and the links
notification mails carry — confirm, unsubscribe, manage — which work with no sign-in.

Every link names what it acts on and is signed (rostra.services.subscriptions.NotifyLinks).
Mail scanners follow GET links, so a GET only shows a page whose one button POSTs; only the
RFC 8058 one-click POST of ``List-Unsubscribe=One-Click`` acts without a page, as mail clients
send it. The POSTs' CSRF defence is the ``notify-page`` group's (rostra.web.routes): a browser's
POST must come from this server's own pages; the signed token does the rest. The tokens are in
the links' query, so these pages are never cached and send no Referer.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.errors import N_, RostraError
from rostra.domain.models import Site
from rostra.i18n import translations
from rostra.services.subscriptions import FollowRequest
from rostra.web import context as web
from rostra.web.headers import site_page_headers
from rostra.web.pages.fragments import base_url
from rostra.web.render import render
from rostra.web.requests import digits, read_body, read_form, required_query
from rostra.web.security import client_ip

HTML = "text/html; charset=utf-8"
CADENCES = {
    "immediate": N_("At once"),
    "hourly": N_("Hourly digest"),
    "daily": N_("Daily digest"),
}
#: Answers to anything that may act or shows what a link names.
CHECK_MAIL = N_(
    "Check your mail: unless this address was confirmed already, we sent it a link to confirm. "
    "Nothing else is sent to it until then."
)


def _token(request: Request) -> str:
    return required_query(request.query_params, "token")[:400]


def _page(
    request: Request,
    site: Site,
    title: str,
    *,
    status: int = 200,
    **context: object,
) -> Response:
    lang = web.language(request)
    gettext = translations(lang).gettext
    body = render(
        web.context(request).env,
        "notify.html",
        lang,
        title=gettext(title),
        root=base_url(request),
        canonical=None,
        feed_url=None,
        cadences=CADENCES,
        rows=context.pop("rows", None),
        **{
            k: gettext(v) if isinstance(v, str) and k in ("notice", "message", "button") else v
            for k, v in context.items()
        },
    )
    headers = site_page_headers(site)
    # The token is in the address: no page it links to may learn it.
    headers["Referrer-Policy"] = "no-referrer"
    return Response(body, status_code=status, media_type=HTML, headers=headers)


def _here(request: Request, site: Site, what: str, token: str) -> str:
    return f"{base_url(request)}/n/{site.slug}/{what}?token={quote(token, safe='')}"


async def follow_form(request: Request) -> Response:
    """The thread page's small form: follow the thread, by e-mail, without commenting."""
    site = await web.site(request)
    ctx = web.context(request)
    form = await read_form(request)
    service = ctx.subscriptions
    assert service is not None
    await web.off_loop_write(
        ctx,
        service.follow,
        site,
        FollowRequest(
            thread_external_id=form.get("thread", ""),
            email=form.get("email"),
            cadence=form.get("cadence") or None,
            language=web.language(request),
            client_ip=client_ip(request, ctx.settings.proxy_networks),
        ),
    )
    return _page(request, site, N_("Almost there"), status=202, message=CHECK_MAIL)


async def confirm_page(request: Request) -> Response:
    site = await web.site(request)
    service = web.context(request).subscriptions
    assert service is not None
    token = _token(request)
    await web.off_loop(service.check_confirm, site, token)
    return _page(
        request,
        site,
        N_("Confirm your address"),
        message=N_("Confirm that you want notifications from this site at this address."),
        button=N_("Confirm"),
        action=_here(request, site, "confirm", token),
    )


async def confirm(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    service = ctx.subscriptions
    assert service is not None
    token = _token(request)
    await read_form(request)
    await web.off_loop_write(ctx, service.confirm, site, token)
    link = service.links.check_confirm(token, site.id, service.clock())
    manage = service.links.manage(site.id, link.subscriber_id)
    return _page(
        request,
        site,
        N_("Address confirmed"),
        notice=N_("Thank you: your address is confirmed, and your notifications are on."),
        manage=_here(request, site, "manage", manage),
    )


async def unsubscribe_page(request: Request) -> Response:
    site = await web.site(request)
    service = web.context(request).subscriptions
    assert service is not None
    token = _token(request)
    _subscriber, view = await web.off_loop(service.leaving, site, token)
    if view is None and not token.startswith("m1."):
        # Ended already: the one click is idempotent, and so is this page.
        return _page(
            request, site, N_("Notifications stopped"), notice=N_("These notifications are off.")
        )
    return _page(
        request,
        site,
        N_("Stop these notifications"),
        message=N_("Stop every notification from this site to this address?")
        if view is None
        else N_("Stop the notifications this link is for?"),
        button=N_("Stop them"),
        action=_here(request, site, "unsubscribe", token),
    )


async def unsubscribe(request: Request) -> Response:
    """One click (RFC 8058: a mail client POSTs ``List-Unsubscribe=One-Click``, as multipart or
    as a form), or the button of the page above: ends what the link names; 200 every time."""
    site = await web.site(request)
    ctx = web.context(request)
    service = ctx.subscriptions
    assert service is not None
    token = _token(request)
    # What the body says does not matter (the signed link does): it is read, bounded, and left.
    await read_body(request)
    await web.off_loop_write(ctx, service.unsubscribe, site, token)
    return _page(
        request,
        site,
        N_("Notifications stopped"),
        notice=N_("Done: you will get no more of these notifications."),
    )


async def manage_page(request: Request) -> Response:
    site = await web.site(request)
    service = web.context(request).subscriptions
    assert service is not None
    token = _token(request)
    manage = await web.off_loop(service.manage, site, token)
    return _page(
        request,
        site,
        N_("My notifications"),
        rows=manage.subscriptions,
        action=_here(request, site, "manage", token),
    )


async def manage_stop(request: Request) -> Response:
    """A row's "Stop" (``subscription=<id>``) or "Stop all" (``subscription=all``)."""
    site = await web.site(request)
    ctx = web.context(request)
    service = ctx.subscriptions
    assert service is not None
    token = _token(request)
    form = await read_form(request)
    which = form.get("subscription", "")
    number = None if which == "all" else digits(which)
    if which != "all" and number is None:
        raise StopWhat()
    await web.off_loop_write(ctx, service.stop, site, token, number)
    manage = await web.off_loop(service.manage, site, token)
    return _page(
        request,
        site,
        N_("My notifications"),
        notice=N_("Done: you will get no more of these notifications."),
        rows=manage.subscriptions,
        action=_here(request, site, "manage", token),
    )


class StopWhat(RostraError):
    status = 422
    code = "invalid-subscription"

    def __init__(self) -> None:
        super().__init__(N_("Choose what to stop."), field="subscription")
