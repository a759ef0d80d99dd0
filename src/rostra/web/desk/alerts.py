"""The desk's "My alerts" page: a staff account's own alert address, cadence (off, immediately,
hourly or daily digest) and language. Its own page only: the address is shown in full to its
owner and to no one else. The routes are in the ``moderator`` group (rostra.web.desk.access):
a form needs our origin and the session's CSRF token; a refused address or choice answers this
page again, with the error and a 4xx, and writes nothing. Without a mail server (no
``smtp_url``) the page says alerts need one, and only "Off" can be saved.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rostra.domain.errors import N_, InvalidInput
from rostra.i18n import translations
from rostra.services.desk_alerts import AlertCadence, StaffAlerts
from rostra.services.staff import StaffSession
from rostra.web import context as web
from rostra.web.desk.auth import first, form_fields
from rostra.web.desk.pages import page
from rostra.web.headers import DESK_PAGE_HEADERS

ADDRESS = "/moderation/alerts"
CADENCES = {
    AlertCadence.OFF.value: N_("Off"),
    AlertCadence.IMMEDIATE.value: N_("Immediately (at most one mail per site every few minutes)"),
    AlertCadence.HOURLY.value: N_("Hourly digest"),
    AlertCadence.DAILY.value: N_("Daily digest"),
}


def _alerts(request: Request) -> StaffAlerts:
    alerts: StaffAlerts = request.app.state.staff_alerts
    return alerts


async def alerts_page(request: Request, session: StaffSession) -> Response:
    view = await web.off_loop(_alerts(request).view, session.account)
    done = None
    if request.query_params.get("done") == "saved":
        done = translations(web.language(request)).gettext("Your alerts are saved.")
    typed = {
        "email": view.address or "",
        "cadence": view.cadence.value,
        "language": view.language or "",
    }
    return _page(request, session, typed, done=done)


async def change_alerts(request: Request, session: StaffSession) -> Response:
    fields = form_fields(request)
    typed = {name: first(fields, name) for name in ("email", "cadence", "language")}
    alerts = _alerts(request)
    try:
        await web.off_loop_write(
            web.context(request),
            lambda: alerts.change(
                session.account, typed["email"], typed["cadence"], typed["language"]
            ),
        )
    except InvalidInput as exc:
        gettext = translations(web.language(request)).gettext
        return _page(
            request,
            session,
            typed,
            status=exc.status,
            error=exc.translated(gettext),
            error_code=exc.code,
        )
    return RedirectResponse(f"{ADDRESS}?done=saved", status_code=303, headers=DESK_PAGE_HEADERS)


def _page(
    request: Request,
    session: StaffSession,
    typed: dict[str, str],
    status: int = 200,
    **context: Any,
) -> Response:
    return page(
        request,
        "desk/alerts.html",
        status=status,
        session=session,
        form=typed,
        cadences=CADENCES,
        languages=web.context(request).settings.languages,
        mail=_alerts(request).mail,
        **context,
    )
