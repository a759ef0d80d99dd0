"""Link rules: which sites a comment may link to, and how many links it may carry.

Links are found in the raw text (``https://...``, ``www....``, Markdown links and bare domains
with a common top-level domain such as ``cheap-watches.shop``). A link to a blocked domain (or any
subdomain of one) rejects the comment; with an allow-list, a link elsewhere holds it; more than
``max_links`` links hold it. The count is recorded for the spam phase and pre-moderation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from rostra.domain.errors import N_
from rostra.moderation.phases import _config as c
from rostra.moderation.record import Action, ModerationRecord, PolicyError, Submission, Verdict

_TLDS: Final = (
    "com|net|org|info|biz|io|co|me|ru|su|de|fr|es|it|nl|uk|eu|us|ca|au|in|cn|jp|br|pl|ua|tr|"
    "xyz|top|site|online|shop|store|club|live|app|link|click|win|vip|bet|casino|loan|money|"
    "pro|tv|cc|ws|ly|to|gg|su|tk|ml|ga|cf|gq"
)
_URL_RE: Final = re.compile(
    r"(?:\bhttps?://|\bwww\.)[^\s<>()\[\]\"'`]+"
    rf"|\b(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.){{1,8}}(?:{_TLDS})\b(?:/[^\s<>()\[\]\"'`]*)?",
    re.IGNORECASE,
)
_DOMAIN_RE: Final = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]+$")


def find_links(text: str) -> list[str]:
    """The links in ``text``, each as written (without trailing sentence punctuation)."""
    out = []
    for m in _URL_RE.finditer(text):
        link = m.group(0).rstrip(".,;:!?*")
        # "e-mail me at a@b.com": an address is not a link (the spam phase counts addresses).
        start = m.start()
        if start and text[start - 1] == "@":
            continue
        out.append(link)
    return out


def domain_of(link: str) -> str:
    """The host a link points at, lower-cased, without ``www.`` and port."""
    target = link if "://" in link else "http://" + link
    try:
        host = urlsplit(target).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _matches(host: str, domains: tuple[str, ...]) -> str | None:
    for d in domains:
        if host == d or host.endswith("." + d):
            return d
    return None


def _domains(data: Mapping[str, object], key: str) -> tuple[str, ...]:
    out = []
    for raw in c.strings(data, key, "links"):
        d = raw.strip().lower().rstrip(".")
        d = d[4:] if d.startswith("www.") else d
        if not _DOMAIN_RE.match(d):
            raise PolicyError(f"moderation.links.{key}: {raw!r} is not a domain name")
        out.append(d)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class LinkConfig:
    enabled: bool = True
    #: More links than this hold the comment for review.
    max_links: int = 3
    blocked_domains: tuple[str, ...] = ()
    #: When set, a link to any other domain holds the comment.
    allowed_domains: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> LinkConfig:
        c.check_keys(data, "links", {"enabled", "max_links", "blocked_domains", "allowed_domains"})
        return cls(
            enabled=c.flag(data, "enabled", "links", True),
            max_links=c.integer(data, "max_links", "links", 3, 0, 1000),
            blocked_domains=_domains(data, "blocked_domains"),
            allowed_domains=_domains(data, "allowed_domains"),
        )


class Links:
    name = "links"

    def __init__(self, config: LinkConfig) -> None:
        self.config = config

    def __call__(self, submission: Submission, record: ModerationRecord) -> Verdict | None:
        links = find_links(submission.scanned)
        record.facts["links"] = len(links)
        cfg = self.config
        if not cfg.enabled or not links:
            return None
        hosts = [domain_of(link) for link in links]
        for host in hosts:
            blocked = _matches(host, cfg.blocked_domains)
            if blocked:
                return Verdict(
                    Action.REJECT,
                    f"links to the blocked domain {blocked}",
                    message=N_("Your comment links to a site that this site does not accept."),
                )
        if cfg.allowed_domains:
            for host in hosts:
                if not _matches(host, cfg.allowed_domains):
                    return Verdict(Action.HOLD, "links to a domain that is not on the allowed list")
        if len(links) > cfg.max_links:
            return Verdict(Action.HOLD, f"{len(links)} links, more than {cfg.max_links}")
        return None
