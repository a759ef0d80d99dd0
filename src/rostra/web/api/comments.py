"""JSON endpoints for threads, comments, votes, reports, counts and reader tokens.

Their access rules (allowed origin, body limit, per-address limits) come from their route's
group (rostra.web.api.routes); every service call that may wait on I/O runs off the loop.
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.errors import N_, Forbidden, NotFound
from rostra.domain.models import Comment, CommentNode, CommentStatus, Site, ThreadPage
from rostra.i18n import translations
from rostra.services.discussion import PostRequest
from rostra.web import context as web
from rostra.web.api import schemas as s
from rostra.web.cached import cached_thread_response
from rostra.web.desk.auth import session_secret
from rostra.web.headers import cors_headers
from rostra.web.pages.fragments import HELD_MESSAGE, render_comment
from rostra.web.requests import PUBLIC_ID, read_json, reader_token, required_query
from rostra.web.security import client_ip
from rostra.web.thread_reads import parse_thread_read, query_thread_id

JSON = "application/json"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def comment_out(
    comment: Comment, node: CommentNode | None = None, with_body: bool = False
) -> s.CommentOut:
    deleted = comment.is_deleted
    parent_id = node.parent_public_id if node else None
    return s.CommentOut(
        id=comment.public_id,
        parent=parent_id,
        author="" if deleted else comment.author_name,
        html="" if deleted else comment.html,
        body=comment.body if with_body and not deleted else None,
        status=comment.status.value,
        created_at=_iso(comment.created_at) or "",
        edited_at=_iso(comment.edited_at),
        edited_by=comment.edited_by,
        deleted=deleted,
        upvotes=comment.upvotes,
        downvotes=comment.downvotes,
        score=comment.score,
        reply_to=node.reply_to_name if node else None,
        replies=[comment_out(r.comment, r) for r in node.replies] if node else [],
    )


def page_out(page: ThreadPage) -> s.PageOut:
    thread = page.thread
    assert thread is not None
    return s.PageOut(
        thread=s.ThreadOut(
            id=thread.external_id,
            url=thread.url,
            title=thread.title,
            comment_count=thread.comment_count,
        ),
        sort=page.sort.value,
        comments=[comment_out(n.comment, n) for n in page.roots],
        next_cursor=page.next_cursor,
        total_roots=page.total_roots,
        total_comments=page.total_comments,
    )


def _json(
    request: Request,
    payload: object,
    status: int = 200,
    site: object = None,
    headers: dict[str, str] | None = None,
) -> Response:
    merged = dict(headers or {})
    if site is not None:
        cors = cors_headers(request, site)  # type: ignore[arg-type]
        if "Vary" in cors and "Vary" in merged:
            cors["Vary"] = merged["Vary"]  # already names Origin where it matters
        merged.update(cors)
    return Response(s.encoder.encode(payload), status_code=status, media_type=JSON, headers=merged)


def comment_id(request: Request) -> str:
    """The ``{comment}`` path parameter, when it has the shape of a public id.

    Anything else names no comment; answering 404 here also keeps values the database refuses
    (a NUL, on PostgreSQL: a 500) away from it.
    """
    value: str = request.path_params["comment"]
    if not PUBLIC_ID.fullmatch(value):
        raise NotFound(N_("This comment does not exist."), code="comment-not-found")
    return value


async def list_comments(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    read = parse_thread_read(request.query_params, site)

    def build() -> bytes:
        page = ctx.discussion.page(site, read.thread, read.sort, read.cursor, read.limit)
        return s.encoder.encode(page_out(page))

    return await cached_thread_response(request, site, read, "json", JSON, build)


async def create_comment(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    data = await read_json(request, s.NewCommentBody)
    token = reader_token(request)
    issued: str | None = None
    if token is None:
        # A first-time guest: give the browser a token so it can edit and delete later.
        issued = ctx.tokens.issue(site.id)
        token = issued
    author = ctx.discussion.author(site, token)
    comment = await web.off_loop_write(
        ctx,
        ctx.discussion.post,
        site,
        PostRequest(
            thread_external_id=data.thread,
            body=data.body,
            author_name=data.author,
            email=data.email,
            parent_public_id=data.parent,
            url=data.url,
            title=data.title,
            thread_signature=data.signature,
            client_nonce=data.nonce,
            client_ip=client_ip(request, ctx.settings.proxy_networks),
            confirmed=data.confirm,
            new_reader=issued is not None,
            notify=data.notify,
            language=web.language(request),
        ),
        author,
    )
    lang = web.language(request)
    if comment.status is not CommentStatus.PUBLISHED:
        return _held(request, site, comment, lang, issued)
    reply_to = None
    if data.parent and comment.depth > site.settings.display_depth:
        # Past the display depth the reply shows flat, prefixed with the parent's "@name".
        reply_to = (await web.off_loop(ctx.discussion.comment, site, data.parent)).author_name
    html = render_comment(request, site, comment, lang, mine=True, reply_to_name=reply_to)
    payload = s.PostedOut(
        comment=comment_out(comment, with_body=True), html=html, reader_token=issued
    )
    headers = {"Location": f"/api/v1/sites/{site.slug}/comments/{comment.public_id}"}
    return _json(request, payload, status=201, site=site, headers=headers)


def _held(
    request: Request, site: Site, comment: Comment, lang: str, issued: str | None = None
) -> Response:
    """202: saved, not shown. The author learns why it is not in the thread yet."""
    payload = s.PostedOut(
        comment=comment_out(comment, with_body=True),
        html="",
        reader_token=issued,
        message=translations(lang).gettext(HELD_MESSAGE),
    )
    return _json(request, payload, status=202, site=site)


async def get_comment(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    comment = await web.off_loop(ctx.discussion.comment, site, comment_id(request))
    if comment.status.value != "published":
        # Held or rejected comments are not public: to a reader they do not exist.
        raise NotFound(N_("This comment does not exist."), code="comment-not-found")
    # The author gets the Markdown source back (to edit it); everyone else the rendering only.
    token = reader_token(request)
    mine = False
    if token:
        author = ctx.discussion.author(site, token)
        mine = author.reader_key is not None and author.reader_key == comment.reader_key
    headers = {"Vary": "X-Rostra-Reader, Origin", "Cache-Control": "private, no-store"}
    return _json(request, comment_out(comment, with_body=mine), site=site, headers=headers)


async def edit_comment(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    data = await read_json(request, s.EditCommentBody)
    author = ctx.discussion.require_author(site, reader_token(request))
    comment = await web.off_loop_write(
        ctx,
        ctx.discussion.edit,
        site,
        comment_id(request),
        data.body,
        author,
        confirmed=data.confirm,
    )
    if comment.status is not CommentStatus.PUBLISHED:
        return _held(request, site, comment, web.language(request))
    html = render_comment(request, site, comment, web.language(request), mine=True)
    return _json(
        request, s.PostedOut(comment=comment_out(comment, with_body=True), html=html), site=site
    )


async def delete_comment(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    author = ctx.discussion.require_author(site, reader_token(request))
    comment = await web.off_loop_write(
        ctx, ctx.discussion.delete, site, comment_id(request), author
    )
    return _json(request, comment_out(comment), site=site)


async def vote(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    data = await read_json(request, s.VoteBody)
    voter = ctx.discussion.require_author(site, reader_token(request))
    result = await web.off_loop_write(
        ctx, ctx.discussion.vote, site, comment_id(request), data.value, voter
    )
    return _json(
        request,
        s.VoteOut(
            id=result.public_id,
            upvotes=result.upvotes,
            downvotes=result.downvotes,
            score=result.score,
            my_vote=result.my_vote,
        ),
        site=site,
    )


async def report(request: Request) -> Response:
    """A reader reports a comment. The answer never says how many reports it has."""
    site = await web.site(request)
    ctx = web.context(request)
    data = await read_json(request, s.ReportBody)
    reporter = ctx.discussion.author(site, reader_token(request))
    await web.off_loop_write(
        ctx,
        ctx.reports.report,
        site,
        comment_id(request),
        data.reason.value,
        data.note,
        reporter,
        client_ip(request, ctx.settings.proxy_networks),
    )
    return _json(request, s.ReportedOut(reported=True), status=201, site=site)


async def _may_read_history(request: Request, site: Site, comment: Comment) -> bool:
    """Past versions hold what the author chose to take out: by default only they (by their
    reader token) and the site's staff (by their desk session) may read them."""
    if site.settings.public_revisions:
        return True
    ctx = web.context(request)
    token = reader_token(request)
    if token:
        author = ctx.discussion.author(site, token)
        if author.reader_key is not None and author.reader_key == comment.reader_key:
            return True
    staff = await web.off_loop(ctx.accounts.session, session_secret(request))
    return staff is not None and staff.account.moderates(site.id)


async def revisions(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    comment, revs = await web.off_loop(ctx.discussion.revisions, site, comment_id(request))
    if not await _may_read_history(request, site, comment):
        raise Forbidden(
            N_(
                "The edit history of this comment is private: only its author and the site's "
                "moderators may read it."
            ),
            code="revisions-private",
        )
    out = s.RevisionsOut(
        id=comment.public_id,
        revisions=[
            s.RevisionOut(
                number=r.number,
                body=r.body,
                created_at=_iso(r.created_at) or "",
                editor=r.editor_name,
            )
            for r in revs
        ],
    )
    # Who may read it depends on the token and the session: never from a shared cache.
    headers = {"Vary": "X-Rostra-Reader, Cookie, Origin", "Cache-Control": "private, no-store"}
    return _json(request, out, site=site, headers=headers)


async def counts(request: Request) -> Response:
    site = await web.site(request)
    if request.method == "POST":
        data = await read_json(request, s.CountsBody)
        ids = data.threads
    else:
        given = request.query_params.getlist("thread")
        if not given:
            required_query({}, "thread")
        ids = [query_thread_id(raw) for raw in given]
    ctx = web.context(request)
    # Article lists ask for the same counts over and over: keep the answer while nothing in the
    # database changed (SQLite's data_version); with no such stamp, always ask the database.
    stamp = ctx.reading.change_stamp()
    key = (site.id, tuple(ids))
    cached = ctx.counts.get(key)
    if stamp is not None and cached is not None and cached[0] == stamp:
        body = cached[1]
    else:
        result = await web.off_loop(ctx.discussion.counts, site, ids)
        body = s.encoder.encode(s.CountsOut(counts=result))
        if stamp is not None:
            if len(ctx.counts) >= COUNTS_CACHE_ENTRIES:
                ctx.counts.clear()
            ctx.counts[key] = (stamp, body)
    return Response(body, media_type=JSON, headers=cors_headers(request, site))


COUNTS_CACHE_ENTRIES = 1000


async def new_reader(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    token = ctx.tokens.issue(site.id)  # signing only: no I/O
    return _json(request, s.ReaderOut(token=token), status=201, site=site)


async def reader_state(request: Request) -> Response:
    site = await web.site(request)
    ctx = web.context(request)
    author = ctx.discussion.require_author(site, reader_token(request))
    thread = query_thread_id(required_query(request.query_params, "thread"))
    mine, my_votes = await web.off_loop(ctx.discussion.reader_state, site, thread, author)
    return _json(request, s.ReaderStateOut(comments=mine, votes=my_votes), site=site)
