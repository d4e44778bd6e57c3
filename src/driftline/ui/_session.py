"""Signing in with a token: the session cookie and the CSRF token that every action carries.

The cookie holds the token's secret encrypted (Fernet, keyed from the
workspace secret), so any worker of the same workspace reads it and no
server memory is needed; it is HttpOnly (no script reads it) and
SameSite=Strict (no other site's page sends it). Each request checks the
token again against the database, so a revoked token ends its sessions
within the request. The CSRF token is an HMAC of the cookie: a form
rendered for this session carries it, and an action without it is refused.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken

from driftline import auth
from driftline.errors import ForbiddenError, UnauthenticatedError
from driftline.store import workspace_secret

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["COOKIE", "Session", "SessionKeys"]

COOKIE = "driftline_session"
LIFETIME_S = 12 * 3600  # a working day; then sign in again


@dataclasses.dataclass(frozen=True)
class Session:
    """Who is signed in: the token (its name is the audited actor), its secret, the CSRF token."""

    token: auth.Token
    secret: str
    csrf: str

    @property
    def actor(self) -> str:
        return self.token.name

    @property
    def can_act(self) -> bool:
        """Operators and admins may act; viewers and predictors only read."""
        return auth.allows(self.token.role, "operator")


class SessionKeys:
    """Seals and opens session cookies with a key only this workspace's servers hold."""

    def __init__(self, ctx: Context) -> None:
        root = workspace_secret(ctx.home)
        self._mac = hmac.new(root, b"driftline ui csrf", hashlib.sha256).digest()
        key = hmac.new(root, b"driftline ui session", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        """The cookie value for a session of the token ``secret``."""
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def csrf_for(self, cookie: str) -> str:
        return hmac.new(self._mac, cookie.encode("ascii"), hashlib.sha256).hexdigest()[:40]

    def open(self, ctx: Context, cookie: str | None) -> Session:
        """The session of ``cookie``, or :class:`UnauthenticatedError` saying how to sign in."""
        if not cookie:
            raise UnauthenticatedError("sign in with a driftline token to see this page")
        try:
            secret = self._fernet.decrypt(cookie.encode("ascii"), ttl=LIFETIME_S).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            raise UnauthenticatedError(
                "your session has ended (after 12 hours, or the server's key changed); sign in again"
            ) from None
        token = auth.verify(ctx, secret)
        return Session(token, secret, self.csrf_for(cookie))

    def check_csrf(self, session: Session, sent: str | None) -> None:
        """Refuse an action whose form did not come from this session's pages."""
        if not sent or not hmac.compare_digest(sent, session.csrf):
            raise ForbiddenError(
                "this action did not come from a page of your session (its form token is missing "
                "or wrong); reload the page and try again"
            )
