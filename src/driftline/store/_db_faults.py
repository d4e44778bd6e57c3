"""Database failures as sentences a person can act on, and URLs shown without their password.

SQLAlchemy wraps every driver error (sqlite3's, psycopg's) in its own
classes; the store turns them into :class:`~driftline.errors.StorageError`
(the database failed) or :class:`~driftline.errors.ConfigError` (the URL or
the login is wrong) at its edge, so SDK users and the CLI get the same
sentence. The driver's words are matched because libpq reports connection
failures without an SQLSTATE code.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from driftline.errors import ConfigError, DriftlineError, StorageError

__all__ = ["database_failure", "mask_url"]

_SETTING = "DRIFTLINE_DATABASE_URL"
# scheme://user:password@ -- the password part is replaced, whatever the scheme.
_CREDENTIALS = re.compile(r"(?P<head>\b[a-zA-Z][\w+.-]*://[^:/@\s]*:)[^@\s]+@")
# libpq's prefix before the server's own words, and the server's severity.
_PREFIX = re.compile(
    r'^(connection failed: )?(connection to server at "[^"]*"(, port \d+)? failed: )?'
)
_SEVERITY = re.compile(r"^(FATAL|ERROR):\s+")


def mask_url(text: str) -> str:
    """``text`` (a URL, or a message quoting URLs) with every password replaced by ``***``.

    >>> mask_url("postgresql+psycopg://bob:s3cret@db:5432/driftline")
    'postgresql+psycopg://bob:***@db:5432/driftline'
    """
    return _CREDENTIALS.sub(lambda m: f"{m.group('head')}***@", text)


def _reason(orig: BaseException) -> str:
    """The driver's message, first line, without libpq's connection preamble."""
    lines = str(orig).strip().splitlines()
    first = lines[0].strip() if lines else type(orig).__name__
    return _SEVERITY.sub("", _PREFIX.sub("", first)).strip()


def database_failure(exc: BaseException, url: str) -> DriftlineError:
    """The error to raise, with one sentence, for a driver failure on the database at ``url``."""
    orig = getattr(exc, "orig", None) or exc
    reason = mask_url(_reason(orig))
    low = reason.lower()
    state = getattr(orig, "sqlstate", None)
    where = f"the metadata database at {mask_url(url)}"

    if state == "28P01" or "password authentication failed" in low:
        return ConfigError(
            f"{where} refused the login: {reason}; fix the user name or password in {_SETTING}"
        )
    if "no password supplied" in low:
        return ConfigError(
            f"{where} asks for a password and none was given; put it in {_SETTING} "
            "(postgresql+psycopg://user:password@host/database)"
        )
    if state == "28000" or "pg_hba.conf" in low or ("role " in low and "does not exist" in low):
        return ConfigError(
            f"{where} refused the login: {reason}; fix the user in {_SETTING} "
            "or allow it in the server's pg_hba.conf"
        )
    if state == "3D000" or (low.startswith("database ") and "does not exist" in low):
        name = _database_name(url)
        return ConfigError(
            f"{where} cannot be used: {reason}; create it (createdb {name}) "
            f"or fix the database name in {_SETTING}"
        )
    if "connection refused" in low:
        return StorageError(
            f"{where} cannot be reached: connection refused; start PostgreSQL or fix {_SETTING}"
        )
    if any(w in low for w in ("resolve host", "translate host name", "name or service not known")):
        return ConfigError(f"{where} cannot be reached: {reason}; fix the host name in {_SETTING}")
    if "timeout" in low or "timed out" in low:
        return StorageError(
            f"{where} did not answer in time: {reason}; check that the server runs and can be "
            f"reached from here, or fix {_SETTING}"
        )
    if state == "42501" or "permission denied" in low:
        return ConfigError(
            f"{where} refused an action: {reason}; grant the user the rights it needs "
            "(CREATE on the database for the first open) or use the database's owner"
        )
    if state in ("57P01", "57P03") or "starting up" in low or "shutting down" in low:
        return StorageError(f"{where} is not ready: {reason}; try again in a moment")
    if state == "53100" or "disk is full" in low or "no space left" in low:
        return StorageError(f"{where} ran out of disk space: {reason}; free some space")
    if "file is not a database" in low or "malformed" in low:
        return StorageError(
            f"{where} is damaged ({reason}): the file was overwritten or corrupted; restore it "
            f"from a backup, or point {_SETTING} at a good database"
        )
    if "unable to open database file" in low:
        return StorageError(
            f"{where} cannot be opened: {reason}; check that its folder exists and that this "
            "user may write there"
        )
    if "readonly database" in low or "read-only" in low:
        return StorageError(
            f"{where} is read-only: {reason}; let this user write the file and its folder"
        )
    if "database is locked" in low:
        return StorageError(
            f"{where} stayed locked by another process: {reason}; try again when it is done"
        )
    if state == "42P01" or "no such table" in low or ("relation " in low and "not exist" in low):
        return StorageError(
            f"{where} lacks driftline's tables: {reason}; restore it from a backup, or point "
            f"{_SETTING} at a driftline database ('driftline init' creates one)"
        )
    return StorageError(f"{where} failed: {reason}")


def _database_name(url: str) -> str:
    try:
        return make_url(url).database or "driftline"
    except (ArgumentError, ValueError):
        return "driftline"
