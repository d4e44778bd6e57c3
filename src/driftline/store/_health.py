"""Health checks of a workspace's stores: does each answer, and is it fit for use?

``driftline init`` runs :func:`check_stores` before it creates anything that
needs them; ``driftline doctor`` runs :func:`diagnose` on an existing
workspace. Each check gives one sentence a person can act on; a failed check
keeps its error, so a surface can pick its exit code from the error's kind.
Checks never raise: finding out what is wrong is their job.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import make_url

from driftline.errors import DriftlineError, NotFoundError, StorageError, require
from driftline.settings import Settings
from driftline.store._artifacts import ArtifactStore
from driftline.store._db import Database
from driftline.store._db_faults import mask_url
from driftline.store._migrate import current_revision, head_revision, known_revisions, migrate

__all__ = [
    "Check",
    "HealthReport",
    "check_artifacts",
    "check_database",
    "check_disk",
    "check_extras",
    "check_log_folder",
    "check_stores",
    "diagnose",
]

Status = Literal["ok", "warn", "fail"]

# Free space on the workspace's disk below which writes (SQLite, the inference
# log, local artifacts) are about to fail, or soon will.
FAIL_BELOW_BYTES = 100 * 2**20
WARN_BELOW_BYTES = 2**30
# Where serving appends and monitoring reads the inference log, under the workspace.
LOG_FOLDER = "log"


@dataclasses.dataclass(frozen=True)
class Check:
    """One check: what was checked, ok/warn/fail, and one sentence about it."""

    name: str
    status: Status
    message: str
    error: DriftlineError | None = dataclasses.field(default=None, compare=False, repr=False)

    @classmethod
    def failed(cls, name: str, error: BaseException) -> Check:
        if isinstance(error, DriftlineError):
            return cls(name, "fail", str(error), error)
        # Not one of ours: say what it was, so the sentence still names the cause.
        wrapped = StorageError(
            f"the {name} check failed unexpectedly: {type(error).__name__}: "
            f"{mask_url(_first_line(error))}"
        )
        return cls(name, "fail", str(wrapped), wrapped)

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "message": self.message}


@dataclasses.dataclass(frozen=True)
class HealthReport:
    """The checks of one workspace, in the order they ran."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings allowed)."""
        return not self.failed

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [c.to_dict() for c in self.checks]}


def check_stores(settings: Settings) -> HealthReport:
    """Whether the database (connection and migration) and the artifact store answer.

    Brings the database's schema up to date, as opening the workspace would.
    """
    return HealthReport((check_database(settings, upgrade=True), check_artifacts(settings)))


def diagnose(
    settings: Settings,
    *,
    warn_below: int = WARN_BELOW_BYTES,
    fail_below: int = FAIL_BELOW_BYTES,
) -> HealthReport:
    """Every check of an existing workspace; changes nothing that stays.

    The database's schema is compared with this driftline's, not upgraded;
    the artifact store and the log folder are written a probe that is removed.
    """
    home = settings.home
    if not home.is_dir():
        error = NotFoundError(
            f"there is no driftline workspace at {home}; create one with 'driftline init' "
            "or point DRIFTLINE_HOME at an existing one"
        )
        return HealthReport((Check("workspace", "fail", str(error), error),))
    checks = [Check("workspace", "ok", f"the workspace folder {home} exists")]
    checks += check_extras(settings)
    checks += [
        check_database(settings, upgrade=False),
        check_artifacts(settings),
        check_log_folder(settings),
        check_disk(settings, warn_below=warn_below, fail_below=fail_below),
    ]
    return HealthReport(tuple(checks))


def check_database(settings: Settings, *, upgrade: bool) -> Check:
    """Connect; then upgrade the schema (``upgrade``) or compare its revision with ours."""
    name = "database"
    url = settings.database_url
    shown = mask_url(url)
    missing = _missing_sqlite_file(url)
    if missing is not None and not upgrade:
        return Check(
            name,
            "fail",
            f"the metadata database file {missing} does not exist; restore it from a backup, or "
            "run 'driftline init' to start an empty one",
            StorageError(f"no database file at {missing}"),
        )
    try:
        db = Database(url)
    except Exception as exc:
        return Check.failed(name, exc)
    try:
        if upgrade:
            revision = migrate(db)
            return Check(
                name, "ok", f"the metadata database at {shown} answers; schema at {revision}"
            )
        with db.connect() as conn:
            have = current_revision(conn)
    except Exception as exc:
        return Check.failed(name, exc)
    finally:
        db.dispose()
    return _revision_check(name, shown, have)


def _revision_check(name: str, shown: str, have: str | None) -> Check:
    want = head_revision()
    where = f"the metadata database at {shown}"
    if have == want:
        return Check(name, "ok", f"{where} answers; its schema is current ({want})")
    if have is None:
        error = StorageError(
            f"{where} holds no driftline tables; run 'driftline init' to create them, or point "
            "DRIFTLINE_DATABASE_URL at the workspace's database"
        )
        return Check(name, "fail", str(error), error)
    if have not in known_revisions():
        error = StorageError(
            f"{where} is at schema revision {have}, which this driftline does not know: a newer "
            "driftline wrote it; upgrade driftline"
        )
        return Check(name, "fail", str(error), error)
    return Check(
        name,
        "warn",
        f"{where} is at schema revision {have}, older than this driftline's {want}; the next "
        "command that opens the workspace upgrades it",
    )


def _missing_sqlite_file(url: str) -> Path | None:
    try:
        parsed = make_url(url)
    except Exception:
        return None  # Database() says what is wrong with the URL
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def check_artifacts(settings: Settings) -> Check:
    """Write a small probe to the artifact store, read it back, remove it."""
    name = "artifacts"
    shown = mask_url(settings.artifacts_url)
    try:
        store = ArtifactStore(settings.artifacts_url, s3_endpoint_url=settings.s3_endpoint_url)
    except Exception as exc:
        return Check.failed(name, _artifacts_error(shown, exc, settings))
    try:
        store.probe()
    except Exception as exc:
        return Check.failed(name, _artifacts_error(shown, exc, settings))
    return Check(name, "ok", f"the artifact store at {shown} took a small probe and gave it back")


def _artifacts_error(shown: str, exc: BaseException, settings: Settings) -> BaseException:
    if isinstance(exc, DriftlineError) and exc.__cause__ is None:
        return exc  # a sentence of its own, e.g. an install hint
    cause = exc.__cause__ if isinstance(exc, DriftlineError) and exc.__cause__ else exc
    fix = "DRIFTLINE_ARTIFACTS_URL"
    if settings.artifacts_url.startswith(("s3://", "s3a://")):
        fix += " (and DRIFTLINE_S3_ENDPOINT_URL)"
    return StorageError(
        f"the artifact store at {shown} failed a write and read-back of a small probe: "
        f"{mask_url(_first_line(cause))}; fix {fix} or the store's permissions"
    )


def check_log_folder(settings: Settings) -> Check:
    """Whether the inference log's folder (or, before the first prediction, the workspace) takes a file."""
    name = "inference log"
    folder = settings.home / LOG_FOLDER
    target = folder if folder.exists() else settings.home
    try:
        # At the log's root, never in segments/ or parquet/, which readers list.
        fd, path = tempfile.mkstemp(prefix=".driftline-probe-", dir=target)
        os.close(fd)
        os.unlink(path)
    except OSError as exc:
        error = StorageError(
            f"the inference log folder {folder} cannot be written: {exc.strerror or exc}; let "
            "this user write there (serving appends every prediction to it)"
        )
        return Check(name, "fail", str(error), error)
    if target != folder:
        return Check(
            name, "ok", f"no inference log yet; 'driftline serve' can create it at {folder}"
        )
    return Check(name, "ok", f"the inference log folder {folder} is writable")


def check_disk(
    settings: Settings,
    *,
    warn_below: int = WARN_BELOW_BYTES,
    fail_below: int = FAIL_BELOW_BYTES,
) -> Check:
    """Free space on the workspace's disk: the SQLite file, the log and local artifacts grow there."""
    name = "disk space"
    try:
        free = shutil.disk_usage(settings.home).free
    except OSError as exc:
        return Check.failed(name, exc)
    said = f"{_size(free)} free on the disk of {settings.home}"
    if free < fail_below:
        error = StorageError(
            f"only {said}, under the {_size(fail_below)} driftline needs to write safely; "
            "free some space"
        )
        return Check(name, "fail", str(error), error)
    if free < warn_below:
        return Check(
            name,
            "warn",
            f"only {said}, under {_size(warn_below)}; free some space before the inference log "
            "fills it",
        )
    return Check(name, "ok", said)


def check_extras(settings: Settings) -> list[Check]:
    """The optional packages this configuration needs: psycopg for PostgreSQL, s3fs for s3://."""
    needed = []
    if settings.database_url.startswith("postgresql"):
        needed.append(("psycopg", "postgres", "the PostgreSQL database"))
    if settings.artifacts_url.startswith(("s3://", "s3a://")):
        needed.append(("s3fs", "s3", "the s3:// artifact store"))
    checks = []
    for module, extra, why in needed:
        name = f"extra: {module}"
        try:
            require(module, extra)
        except DriftlineError as exc:
            checks.append(Check(name, "fail", f"{exc}; {why} needs it", exc))
            continue
        except Exception as exc:  # installed but broken
            checks.append(Check.failed(name, exc))
            continue
        checks.append(Check(name, "ok", f"{module} is installed, as {why} needs"))
    return checks


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__


def _size(n: float) -> str:
    if n < 1024:
        return f"{n:,.0f} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            break
    return f"{n:,.1f} {unit}"
