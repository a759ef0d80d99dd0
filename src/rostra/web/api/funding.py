"""JSON for a funding campaign: ``GET /api/v1/sites/{site}/campaigns/{campaign}``.

The meter's script polls it (rostra.web.pages.meter): it answers from the same per-worker read
as the meter, with an ETag of the campaign's version, so a poll that finds nothing new is a 304
of a few bytes. Public, cacheable, readable by the site's allowed origins.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from rostra.domain.funding import Campaign
from rostra.web import context as web
from rostra.web.api import schemas as s
from rostra.web.headers import allowed_origin
from rostra.web.pages.meter import read_campaign

JSON = "application/json"


def campaign_out(c: Campaign) -> s.CampaignOut:
    return s.CampaignOut(
        id=c.public_id,
        title=c.title,
        goal_type=c.goal_type.value,
        goal=c.goal,
        currency=c.currency,
        exponent=c.exponent,
        raised_minor=c.totals.raised_minor,
        donations=c.totals.donations,
        donors=c.totals.donors,
        ticks=list(c.marks()),
        open=c.open,
        starts_on=c.starts_on.isoformat() if c.starts_on else None,
        ends_on=c.ends_on.isoformat() if c.ends_on else None,
        version=c.version,
    )


async def get_campaign(request: Request) -> Response:
    site = await web.site(request)
    campaign = await read_campaign(request, site, request.path_params["campaign"])
    etag = f'"c{campaign.id}-{campaign.version}"'
    headers = {
        "ETag": etag,
        "Cache-Control": "public, max-age=0, must-revalidate",
        "Vary": "Origin",
    }
    allowed = allowed_origin(site, request.headers.get("origin"))
    if allowed is not None:
        headers["Access-Control-Allow-Origin"] = allowed
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(s.encoder.encode(campaign_out(campaign)), media_type=JSON, headers=headers)
