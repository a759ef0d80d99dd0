"""Rendering a thread page or a single comment into HTML, through the render cache."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from rostra.domain.errors import N_
from rostra.domain.models import Comment, CommentNode, Site, SortOrder, ThreadPage
from rostra.web import context as web
from rostra.web.render import render
from rostra.web.security import public_base

#: What the author of a held comment is told, in the thread page and in the API's answer.
HELD_MESSAGE = N_("Thank you. Your comment will appear once a moderator has read it.")

SORTS = (
    (SortOrder.NEWEST, N_("Newest")),
    (SortOrder.OLDEST, N_("Oldest")),
    (SortOrder.VOTES, N_("Most voted")),
)


def base_url(request: Request) -> str:
    """The address links in pages start with (see ``rostra.web.edge``)."""
    return public_base(request)


def thread_link(site: Site, thread: str, lang: str, **params: str) -> str:
    query = {"thread": thread, **params}
    if lang:
        query["lang"] = lang
    return f"/t/{site.slug}?" + urlencode(query)


def render_thread(
    request: Request,
    site: Site,
    external_id: str,
    page: ThreadPage | None,
    lang: str,
    *,
    reply_to: Comment | None = None,
    standalone: bool = False,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, str] | None = None,
) -> str:
    """The thread section; ``page`` is None for a thread nobody has commented on yet."""
    root = base_url(request)
    sort = page.sort if page else SortOrder.NEWEST
    ctx = web.context(request)
    return render(
        ctx.env,
        "thread.html",
        lang,
        site=site,
        thread_id=external_id,
        page=page,
        sort=sort,
        sorts=SORTS,
        root=root,
        link=lambda **p: root + thread_link(site, external_id, lang, **p),
        reply_to=reply_to,
        standalone=standalone,
        error=error,
        notice=notice,
        form=form or {},
        mine=False,
        # "Notify me of" and "Follow" only where mail can be sent (rostra.services.subscriptions).
        notify_by_mail=ctx.subscriptions is not None and ctx.subscriptions.mail,
    )


def render_comment(
    request: Request,
    site: Site,
    comment: Comment,
    lang: str,
    mine: bool = False,
    reply_to_name: str | None = None,
) -> str:
    """One comment as it appears in a thread, for the embed to insert after a post or edit."""
    node = CommentNode(
        comment=comment,
        parent_public_id=None,
        display_depth=min(comment.depth, site.settings.display_depth),
        reply_to_name=reply_to_name,
    )
    root = base_url(request)
    return render(
        web.context(request).env,
        "comment.html",
        lang,
        site=site,
        node=node,
        root=root,
        thread_id="",
        link=lambda **p: "",
        mine=mine,
        display_depth=site.settings.display_depth,
    )
