"""The embed script, its CSS and the demo's media: compressed, cacheable for an hour."""

from __future__ import annotations

import os
from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

# An hour keeps host pages fast while a new release still reaches readers the same day; the
# ETag lets browsers revalidate cheaply after that.
MAX_AGE = 3600


class CachedStaticFiles(StaticFiles):
    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
        # The embed script is loaded by pages on other origins.
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response


def static_app(**kwargs: Any) -> ASGIApp:
    return GZipMiddleware(
        CachedStaticFiles(packages=[("rostra.web", "static")], **kwargs), minimum_size=512
    )
