"""API tokens with roles: ``viewer`` < ``predictor`` < ``operator`` < ``admin``.

A higher role may do everything a lower one may. The secret is shown once,
at creation; the database keeps only its sha256, so a leaked database leaks
no usable token. Creating and revoking tokens is audited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from driftline import audit
from driftline.errors import InputError, NotFoundError, UnauthenticatedError
from driftline.store import TokenRow, as_utc

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["ROLES", "Token", "allows", "create", "list_tokens", "revoke", "verify"]

ROLES = ("viewer", "predictor", "operator", "admin")
PREFIX = "dl_"


@dataclasses.dataclass(frozen=True)
class Token:
    id: str
    name: str
    role: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        now = dt.datetime.now(dt.UTC)
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def allows(role: str, needed: str) -> bool:
    """Whether ``role`` may do what needs ``needed``."""
    return ROLES.index(role) >= ROLES.index(needed)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _to_token(row: TokenRow) -> Token:
    return Token(
        row.id,
        row.name,
        row.role,
        as_utc(row.created_at),
        as_utc(row.expires_at) if row.expires_at else None,
        as_utc(row.revoked_at) if row.revoked_at else None,
    )


def create(
    ctx: Context,
    *,
    role: str,
    name: str = "",
    expires_in: dt.timedelta | None = None,
    actor: str | None = None,
) -> tuple[Token, str]:
    """A new token and its secret (shown only now)."""
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    token_id = secrets.token_hex(6)
    secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    now = dt.datetime.now(dt.UTC)
    row = TokenRow(
        id=token_id,
        name=name or f"{role}-{token_id}",
        role=role,
        secret_sha256=_digest(secret),
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    with ctx.db.write() as s:
        s.add(row)
        audit.append(
            s,
            actor=actor or ctx.settings.actor,
            action="token.create",
            subject=f"token:{token_id}",
            payload={
                "name": row.name,
                "role": role,
                "expires_at": row.expires_at.isoformat() if row.expires_at else None,
            },
        )
    return _to_token(row), secret


def verify(ctx: Context, secret: str) -> Token:
    """The active token behind ``secret``, or :class:`UnauthenticatedError`."""
    if not secret or not secret.startswith(PREFIX):
        raise UnauthenticatedError(
            "a driftline token is required: send 'Authorization: Bearer dl_...'"
        )
    with ctx.db.read() as s:
        row = s.scalar(select(TokenRow).where(TokenRow.secret_sha256 == _digest(secret)))
    if row is None:
        raise UnauthenticatedError("the token is not known to this workspace")
    token = _to_token(row)
    if not token.active:
        raise UnauthenticatedError(f"token {token.id} is revoked or expired")
    return token


def revoke(ctx: Context, token_id: str, *, actor: str | None = None) -> Token:
    with ctx.db.write() as s:
        row = s.get(TokenRow, token_id)
        if row is None:
            raise NotFoundError(f"no token with id {token_id!r}; 'driftline token list' shows them")
        if row.revoked_at is None:
            row.revoked_at = dt.datetime.now(dt.UTC)
            audit.append(
                s,
                actor=actor or ctx.settings.actor,
                action="token.revoke",
                subject=f"token:{token_id}",
                payload={"name": row.name, "role": row.role},
            )
        return _to_token(row)


def list_tokens(ctx: Context) -> list[Token]:
    with ctx.db.read() as s:
        return [_to_token(r) for r in s.scalars(select(TokenRow).order_by(TokenRow.created_at))]
