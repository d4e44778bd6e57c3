"""What every dashboard route shares: the store handles, the session keys, the templates."""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from driftline import serving
from driftline.errors import DriftlineError, ForbiddenError, UnauthenticatedError
from driftline.ui._session import COOKIE, Session, SessionKeys
from driftline.words import number

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["UiState", "form", "said", "ui"]

_CACHE_SIZE = 64


class UiState:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.keys = SessionKeys(ctx)
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("driftline.ui", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.templates.filters["said"] = said
        self.templates.filters["number"] = number
        # Chart series by request, with the fingerprint of the windows they were cut from.
        self._lock = threading.Lock()
        self._cache: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}

    def cached(self, key: tuple[Any, ...], stamp: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        """``build()``, or its earlier answer while ``stamp`` (what it depends on) is unchanged."""
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = build()
        with self._lock:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = (stamp, value)
        return value

    def session(self, request: Request) -> Session | None:
        """The signed-in session, or None (no cookie, ended, or its token revoked)."""
        try:
            return self.keys.open(self.ctx, request.cookies.get(COOKIE))
        except UnauthenticatedError:
            return None

    def render(
        self,
        request: Request,
        template: str,
        session: Session | None,
        http_status: int = 200,
        **data: Any,
    ) -> HTMLResponse:
        page = self.templates.get_template(template).render(
            session=session, path=request.url.path, **data
        )
        # The page names nothing outside driftline; browsers are told so too.
        headers = {
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
            "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
        }
        return HTMLResponse(page, status_code=http_status, headers=headers)

    def failure(self, request: Request, exc: DriftlineError, session: Session | None) -> Response:
        """A page saying what went wrong; signing in again when that is what is missing."""
        if isinstance(exc, UnauthenticatedError):
            return signin_redirect(request)
        status = serving.status_for(exc)
        return self.render(
            request,
            "error.html",
            session,
            http_status=status,
            message=str(exc),
            status_code=status,
        )

    def refuse(self, request: Request, session: Session, verb: str) -> Response:
        exc = ForbiddenError(
            f"Only the operator role may {verb}: you are signed in as {session.actor} with the "
            f"{session.token.role} role; ask an admin for an operator token"
        )
        return self.failure(request, exc, session)


_NAMED = re.compile(r"`([^`]+)`")


def said(text: object) -> Markup:
    """A sentence for the page: escaped, and the names it sets apart in backticks as code."""
    return Markup(_NAMED.sub(r"<code>\1</code>", str(escape(str(text)))))


def ui(request: Request) -> UiState:
    state: UiState = request.app.state.driftline_ui
    return state


def signin_redirect(request: Request) -> RedirectResponse:
    target = urllib.parse.quote(request.url.path, safe="/")
    return RedirectResponse(f"/ui/signin?next={target}", status_code=303)


async def form(request: Request) -> dict[str, str]:
    """A posted form's fields (application/x-www-form-urlencoded), the last value of each."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {k: v[-1] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}


def same_origin(request: Request) -> bool:
    """Whether a POST came from a page of this server (browsers send Origin with forms)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urllib.parse.urlsplit(origin).netloc == request.headers.get("host", "")
