"""``rostra campaign`` and ``rostra donation``: a site's funding campaigns and its offline
donations from the command line.

``campaign add SITE --title T --goal 5000 --currency USD [--goal-type amount|donations|donors]
[--ticks 0,2500,5000] [--presets 10,25,50 --minimum 5] [--from DATE] [--to DATE]`` prints the new
campaign's public id alone
(so a script can keep it); ``campaign list SITE`` shows each with its totals; ``campaign update
SITE ID`` changes what is given; ``campaign close`` and ``reopen``. ``donation add SITE ID
--amount 25.50 --method cheque --key K`` records a bank transfer, cheque or cash donation: the
key makes running it twice count once (the second run is refused and says so). Amounts are
written in major units with a point (``25.50``; yen have no cents). Every change is written to
the site's audit log under the operator's login name, marked as made at the command line; every
refusal is one line and exit status 2 (rostra.cli).
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from rostra.webhook_cli import operator


def register(sub: Any) -> None:
    campaign = sub.add_parser("campaign", help="manage a site's funding campaigns")
    csub = campaign.add_subparsers(dest="campaign_command", required=True)
    add = csub.add_parser("add", help="add a campaign; prints its public id")
    add.add_argument("site")
    _campaign_options(add, adding=True)
    listing = csub.add_parser("list", help="a site's campaigns and their totals")
    listing.add_argument("site")
    upd = csub.add_parser("update", help="change a campaign's title, goal, period or ticks")
    upd.add_argument("site")
    upd.add_argument("id")
    _campaign_options(upd, adding=False)
    for name, what in (
        ("close", "take no new donations (refunds still count)"),
        ("reopen", "take donations again"),
    ):
        one = csub.add_parser(name, help=what)
        one.add_argument("site")
        one.add_argument("id")
    campaign.set_defaults(func=cmd_campaign)

    donation = sub.add_parser("donation", help="record a site's offline donations")
    dsub = donation.add_subparsers(dest="donation_command", required=True)
    give = dsub.add_parser("add", help="record a bank transfer, cheque or cash donation")
    give.add_argument("site")
    give.add_argument("campaign", help="the campaign's public id")
    give.add_argument("--amount", required=True, help="in major units: 25 or 25.50")
    give.add_argument("--currency", help="the campaign's currency (checked when given)")
    give.add_argument(
        "--method", required=True, choices=("bank_transfer", "cheque", "cash"), help="how it came"
    )
    give.add_argument("--date", help="when it was received, YYYY-MM-DD (default: today)")
    give.add_argument("--donor", default="", help="who gave (private; optional)")
    give.add_argument("--note", default="", help="a note for the admins (optional)")
    give.add_argument(
        "--key",
        required=True,
        help="a key of your own for this donation (a cheque's number, say): recording the same "
        "key again counts once",
    )
    entries = dsub.add_parser("list", help="a campaign's ledger, newest first")
    entries.add_argument("site")
    entries.add_argument("campaign")
    donation.set_defaults(func=cmd_donation)


def _campaign_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    parser.add_argument("--title", required=adding)
    parser.add_argument(
        "--goal", required=adding, help="an amount in major units (5000), or a count"
    )
    parser.add_argument("--currency", required=adding, help="ISO 4217 code: USD, EUR, JPY ...")
    parser.add_argument(
        "--goal-type",
        dest="goal_type",
        choices=("amount", "donations", "donors"),
        help="what the goal counts (default: amount)",
    )
    parser.add_argument(
        "--ticks", help="where the meter marks its scale, comma-separated (default: 0, half, goal)"
    )
    parser.add_argument(
        "--presets",
        help="the gifts a reader picks from, comma-separated: 10,25,50 (default: the site's)",
    )
    parser.add_argument("--minimum", help="the smallest gift, e.g. 5 (default: the site's)")
    parser.add_argument("--from", dest="starts_on", help="first day, YYYY-MM-DD (default: none)")
    parser.add_argument("--to", dest="ends_on", help="last day, YYYY-MM-DD (default: none)")


def _services(args: argparse.Namespace) -> Any:
    from rostra.config import command_settings
    from rostra.storage.database import create_engines

    return create_engines(command_settings(args).database_url)


def _site(engines: Any, slug: str) -> Any:
    from rostra.domain.errors import N_, NotFound
    from rostra.storage.repository import SqlStore

    site = SqlStore(engines).get_site(slug)
    if site is None:
        raise NotFound(N_("There is no site called %(site)s."), code="site-not-found", site=slug)
    return site


def cmd_campaign(args: argparse.Namespace) -> int:
    from rostra.domain.funding import GoalType, plain_amount
    from rostra.domain.webhooks import Actor
    from rostra.services.funding import CampaignFields, Funding
    from rostra.storage.funding import SqlFundingStore

    engines = _services(args)
    actor = Actor(None, operator())
    try:
        site = _site(engines, args.site)
        funding = Funding(SqlFundingStore(engines))
        command = args.campaign_command
        if command in ("add", "update"):
            fields = CampaignFields(
                title=args.title,
                goal=args.goal,
                currency=args.currency,
                goal_type=args.goal_type,
                ticks=args.ticks,
                presets=args.presets,
                minimum=args.minimum,
                starts_on=args.starts_on,
                ends_on=args.ends_on,
            )
            if command == "add":
                print(funding.add_campaign(site, fields, actor).public_id)
            else:
                done = funding.update_campaign(site, args.id, fields, actor)
                print(f"updated campaign {done.public_id} of {site.slug}")
        elif command in ("close", "reopen"):
            done = funding.set_open(site, args.id, command == "reopen", actor)
            print(
                f"campaign {done.public_id} of {site.slug} is {'open' if done.open else 'closed'}"
            )
        else:
            for c in funding.campaigns(site):
                if c.goal_type is GoalType.AMOUNT:
                    goal = f"{plain_amount(c.goal, c.currency)} {c.currency}"
                else:
                    goal = f"{c.goal} {c.goal_type.value}"
                period = f"{c.starts_on or '…'} to {c.ends_on or '…'}"
                print(
                    f"{c.public_id}\t{'open' if c.open else 'closed'}\t{c.title}\tgoal {goal}"
                    f"\traised {plain_amount(c.totals.raised_minor, c.currency)} {c.currency}"
                    f"\tdonations {c.totals.donations}\tdonors {c.totals.donors}\t{period}"
                )
    finally:
        engines.dispose()
    return 0


def cmd_donation(args: argparse.Namespace) -> int:
    from rostra.domain.funding import plain_amount
    from rostra.domain.webhooks import Actor
    from rostra.services.funding import Funding, OfflineDonation
    from rostra.storage.funding import SqlFundingStore

    engines = _services(args)
    try:
        site = _site(engines, args.site)
        funding = Funding(SqlFundingStore(engines))
        if args.donation_command == "add":
            campaign = funding.campaign(site, args.campaign)
            done = funding.record_offline(
                site,
                OfflineDonation(
                    campaign=args.campaign,
                    amount=args.amount,
                    currency=args.currency or campaign.currency,
                    method=args.method,
                    on=args.date or date.today().isoformat(),
                    key=args.key,
                    donor=args.donor,
                    note=args.note,
                ),
                Actor(None, operator()),
            )
            t = done.totals
            print(
                f"recorded {plain_amount(done.entry.signed_minor, campaign.currency)} "
                f"{campaign.currency} for {campaign.public_id}: raised "
                f"{plain_amount(t.raised_minor, campaign.currency)} {campaign.currency}, "
                f"{t.donations} donations, {t.donors} donors"
            )
        else:
            campaign = funding.campaign(site, args.campaign)
            for e in funding.entries(site, args.campaign):
                print(
                    f"{e.on}\t{e.source.value}\t{e.kind.value}\t"
                    f"{plain_amount(e.signed_minor, campaign.currency)} {campaign.currency}\t"
                    f"{e.method.value if e.method else ''}\t{e.donor_name or ''}\t{e.external_id}"
                )
    finally:
        engines.dispose()
    return 0
