"""The desk's background jobs page, for admins: the dead-letter list (jobs that failed for good)
and the jobs waiting on a retry, each with "Retry", and "Retry all dead".

Admins are Rostra-wide and so is the job table, so the page is too (``/moderation/jobs``, beside
the staff accounts page). The routes are in the ``admin`` group (rostra.web.desk.access): a
moderator gets a 403 page, a form needs our origin and the session's CSRF token. A job number
that is not a number, or names no dead or waiting job, is a readable 404 page and changes
nothing. A job queued again wakes this process's runner when the write commits
(rostra.storage.jobs.wake_after_commit), so it runs now.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rostra.domain.errors import N_, NotFound
from rostra.i18n import translations
from rostra.jobs.desk import DeadLetters
from rostra.services.staff import StaffSession
from rostra.web import context as web
from rostra.web.desk.pages import page
from rostra.web.headers import DESK_PAGE_HEADERS
from rostra.web.requests import digits

ADDRESS = "/moderation/jobs"


def _letters(request: Request) -> DeadLetters:
    letters: DeadLetters = request.app.state.dead_letters
    return letters


async def jobs_page(request: Request, session: StaffSession) -> Response:
    view = await web.off_loop(_letters(request).view, session.account)
    ngettext = translations(web.language(request)).ngettext
    done = None
    count = digits(request.query_params.get("n", ""), max_length=9)
    if request.query_params.get("done") == "retried" and count is not None:
        done = ngettext("%(num)d job is queued again.", "%(num)d jobs are queued again.", count) % {
            "num": count
        }
    return page(request, "desk/jobs.html", session=session, view=view, done=done)


async def retry_job(request: Request, session: StaffSession) -> Response:
    job_id = digits(request.path_params["job"])
    if job_id is None:
        raise NotFound(N_("A job number is written in digits only."), code="job-not-found")
    letters = _letters(request)
    await web.off_loop_write(web.context(request), lambda: letters.retry(session.account, job_id))
    return _back(1)


async def retry_all_dead(request: Request, session: StaffSession) -> Response:
    letters = _letters(request)
    count = await web.off_loop_write(
        web.context(request), lambda: letters.retry_all_dead(session.account)
    )
    return _back(count)


def _back(count: int) -> Response:
    return RedirectResponse(
        f"{ADDRESS}?done=retried&n={count}", status_code=303, headers=DESK_PAGE_HEADERS
    )
