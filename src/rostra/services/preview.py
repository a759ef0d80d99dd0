"""Comment preview: the reader's Markdown through the very renderer posting uses, nothing stored.

The text is checked as a comment's would be (empty, too long for the site) so a preview never
shows what posting would refuse for its length. Previews are cheap but not free (about 10 ms for
the longest comment), so each client address gets a fixed number a minute
(rostra.services.address_limits).
"""

from __future__ import annotations

from rostra.domain import rules
from rostra.domain.models import Site
from rostra.services.formatting import render_markdown


def preview_html(site: Site, body: str) -> str:
    """The HTML ``body`` would be shown as, once posted on ``site``."""
    return render_markdown(rules.validate_body(body, site.settings))
