"""A thread at the desk: its id, title and article address, and the form that changes them.

Readers cannot change a thread's title or address after its first comment (see
rostra.services.thread_meta); the CMS can by signing them, and staff can here or with
``rostra thread update``. Whoever moderates the site sees them; only admins change them
(``StaffAccount.edits_threads``), and each change is audited with who made it.

A thread's id is the CMS's own and may hold slashes, dots, ``?`` or ``#``, so it travels in the
query (``?thread=``), never in the path, where a browser would resolve ``..`` and drop ``#``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rostra.domain.errors import N_, InvalidInput
from rostra.domain.models import Site, Thread
from rostra.i18n import translations
from rostra.services.staff import StaffSession
from rostra.web import context as web
from rostra.web.desk.auth import first, form_fields
from rostra.web.desk.pages import desk_site, page
from rostra.web.headers import DESK_PAGE_HEADERS


def thread_address(site: Site, external_id: str) -> str:
    """The desk's page of one thread."""
    return f"/moderation/{site.slug}/thread?" + urlencode({"thread": external_id})


async def thread_page(request: Request, session: StaffSession) -> Response:
    """The thread named by ``?thread=``, or, without one, the form that asks for its id."""
    site = await desk_site(request, session)
    wanted = request.query_params.get("thread", "")
    if not wanted.strip():
        return _page(request, session, site, None)
    thread = await web.off_loop(web.context(request).discussion.thread, site, wanted)
    saved = request.query_params.get("saved") == "1"
    gettext = translations(web.language(request)).gettext
    return _page(request, session, site, thread, done=gettext(N_("Saved.")) if saved else None)


async def change_thread(request: Request, session: StaffSession) -> Response:
    site = await desk_site(request, session)
    fields = form_fields(request)
    discussion = web.context(request).discussion
    external_id = first(fields, "thread")
    # A field the form did not send keeps its value; an empty one clears it.
    title = first(fields, "title") if "title" in fields else None
    url = first(fields, "url") if "url" in fields else None
    try:
        thread = await web.off_loop_write(
            web.context(request),
            lambda: discussion.update_thread(site, external_id, url, title, by=session.account),
        )
    except InvalidInput as exc:
        if exc.field == "thread":
            raise
        # Nothing was written: the form again, as it was typed, with the reason.
        current = await web.off_loop(discussion.thread, site, external_id)
        gettext = translations(web.language(request)).gettext
        return _page(
            request,
            session,
            site,
            current,
            status=exc.status,
            error=exc.translated(gettext),
            error_code=exc.code,
            error_field=exc.field,
            typed={"title": title or "", "url": url or ""},
        )
    return RedirectResponse(
        thread_address(site, thread.external_id) + "&saved=1",
        status_code=303,
        headers=DESK_PAGE_HEADERS,
    )


def _page(
    request: Request,
    session: StaffSession,
    site: Site,
    thread: Thread | None,
    status: int = 200,
    **context: Any,
) -> Response:
    return page(
        request,
        "desk/thread.html",
        status=status,
        session=session,
        site=site,
        thread=thread,
        may_edit=session.account.edits_threads(site.id),
        # Written before addresses were checked, a stored one may be anything: only a web
        # address becomes a link.
        url_is_link=thread is not None and _is_web_address(thread.url),
        public_page=(f"/t/{site.slug}?" + urlencode({"thread": thread.external_id}))
        if thread is not None
        else "",
        **context,
    )


def _is_web_address(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
