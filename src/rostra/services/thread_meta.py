"""Who may say what an article is called and where it lives.

A thread's title and URL appear on the paper's comment domain (the thread page, feeds, the
desk), so a reader must not be able to set them: "Paper retracts story", linking to a phishing
page, would be served as the newsroom's own words. Three sources are believed:

- the first comment, when the URL it names is on one of the site's allowed origins (the embed
  sends the host page's own address); otherwise the thread starts without title and URL;
- the CMS, which signs ``thread``, ``url`` and ``title`` with the site's thread key (HMAC-SHA256,
  shown by ``rostra thread key``) and puts the signature in the embed tag; a signed change is
  applied with a published comment only, so a held or rejected comment changes nothing;
- staff: an admin in the desk (each change audited) or an operator with
  ``rostra thread update``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from rostra.domain.models import Site
from rostra.services.tokens import Signer

MAX_SIGNATURE = 128


@dataclass(frozen=True, slots=True)
class ThreadMetadata:
    """What a post says about its thread; ``signed``: the CMS vouches for it."""

    url: str
    title: str
    signed: bool


def url_origin(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


class ThreadKeys:
    """Per-site keys for the CMS's signatures, derived from the server secret."""

    def __init__(self, signer: Signer) -> None:
        self._signer = signer

    def key(self, site: Site) -> str:
        """The key a site's CMS signs with (hex); stable while the server secret is."""
        return self._signer.key(f"thread-metadata:{site.id}").hex()

    def sign(self, site: Site, external_id: str, url: str, title: str) -> str:
        message = f"{external_id}\n{url}\n{title}".encode()
        return hmac.new(bytes.fromhex(self.key(site)), message, "sha256").hexdigest()

    def verify(self, site: Site, external_id: str, url: str, title: str, signature: str) -> bool:
        if not signature or len(signature) > MAX_SIGNATURE or not signature.isascii():
            return False
        expected = self.sign(site, external_id, url, title)
        return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


def believed_metadata(
    keys: ThreadKeys | None,
    site: Site,
    external_id: str,
    url: str,
    title: str,
    signature: str | None,
) -> ThreadMetadata:
    """What of a post's title and URL may be recorded, and whether the CMS signed it."""
    if signature and keys is not None and keys.verify(site, external_id, url, title, signature):
        return ThreadMetadata(url, title, signed=True)
    if url and site.allows_origin(url_origin(url)):
        return ThreadMetadata(url, title, signed=False)
    return ThreadMetadata("", "", signed=False)
