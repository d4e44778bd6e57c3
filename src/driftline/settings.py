"""Settings: the one place that reads ``driftline.toml`` and ``DRIFTLINE_*`` variables.

Everything else receives a :class:`Settings` object as an argument.

| variable | key in driftline.toml | meaning |
| --- | --- | --- |
| ``DRIFTLINE_HOME`` | (none) | the workspace folder; default ``./.driftline`` |
| ``DRIFTLINE_DATABASE_URL`` | ``database_url`` | SQLAlchemy URL of the metadata database; default SQLite in the workspace |
| ``DRIFTLINE_ARTIFACTS_URL`` | ``artifacts_url`` | fsspec URL of the artifact store; default ``<home>/artifacts`` |
| ``DRIFTLINE_S3_ENDPOINT_URL`` | ``s3_endpoint_url`` | endpoint of an S3-compatible server (MinIO, moto, ...) |
| ``DRIFTLINE_ACTOR`` | ``actor`` | who the audit chain names for local actions; default the OS user |
| ``DRIFTLINE_TRUSTED_TYPES`` | ``trusted_types`` | extra types (comma-separated) trusted when loading skops artifacts |
| ``DRIFTLINE_LOG_URL`` | ``log_url`` | fsspec URL of the compacted inference log; default ``<home>/log/parquet``, or ``<artifacts_url>/log`` when the artifacts are elsewhere, so hosts sharing them share the log |
| ``DRIFTLINE_LOG_COMPACT_SECONDS`` | ``log_compact_seconds`` | how often a server compacts its log segments; default 600, 0 never |
| ``DRIFTLINE_ONLINE_STORE_URL`` | ``online_store_url`` | where served feature values live: ``sqlite:///path`` (default ``<home>/features/online.db``) or ``redis://host:port/db`` |
| ``DRIFTLINE_LIMITS_URL`` | ``limits_url`` | where serving's rate limits count, shared by its workers: ``sqlite:///path`` (default ``<home>/limits.db``: the workers of one host), ``redis://host:port/db`` (every host using it; the default when the online store is a Redis) or ``memory`` (each worker alone) |
| ``DRIFTLINE_SECRET`` | (none: never in a file others read) | the workspace secret as 64 hex digits, instead of the file ``keyed-hash.secret`` (mode 0600) in the workspace |
| ``DRIFTLINE_PRIVACY_REGION`` | ``region`` in ``[privacy]`` | the country (ISO 3166 code) whose phone numbers may be written without ``+country``; default ``US`` |
| (none) | the ``[privacy]`` table | what is written of each column: ``personal``, ``columns``, ``detected`` (see :mod:`driftline.privacy`) |

Precedence: explicit arguments, then environment, then ``driftline.toml``, then defaults.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from driftline.errors import ConfigError

__all__ = ["CONFIG_FILE", "DEFAULT_HOME", "ENV_PREFIX", "Settings"]

CONFIG_FILE = "driftline.toml"
DEFAULT_HOME = ".driftline"
ENV_PREFIX = "DRIFTLINE_"

_FIELDS = (
    "database_url",
    "artifacts_url",
    "s3_endpoint_url",
    "actor",
    "trusted_types",
    "log_url",
    "log_compact_seconds",
    "online_store_url",
    "limits_url",
)


@dataclasses.dataclass(frozen=True)
class Settings:
    """Where the workspace lives and how it reaches its stores."""

    home: Path
    database_url: str
    artifacts_url: str
    s3_endpoint_url: str | None = None
    actor: str = "local"
    trusted_types: tuple[str, ...] = ()
    log_url: str = ""
    log_compact_seconds: float = 600.0
    online_store_url: str = ""
    limits_url: str = ""
    # The [privacy] table of driftline.toml, read by driftline.privacy.PrivacyPolicy.
    privacy: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)
    secret: str | None = dataclasses.field(default=None, repr=False, compare=False)

    @classmethod
    def load(
        cls,
        home: str | os.PathLike[str] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Resolve settings for the workspace at ``home``.

        ``environ`` defaults to ``os.environ``; pass a dict in tests.
        """
        env = os.environ if environ is None else environ
        root = Path(home or env.get(f"{ENV_PREFIX}HOME") or DEFAULT_HOME).expanduser().absolute()
        values: dict[str, Any] = {}
        values.update(_read_toml(root / CONFIG_FILE))
        privacy = dict(_read_privacy(root / CONFIG_FILE))
        if env.get(f"{ENV_PREFIX}PRIVACY_REGION"):
            privacy["region"] = env[f"{ENV_PREFIX}PRIVACY_REGION"]
        for name in _FIELDS:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw:
                values[name] = raw
        unknown = set(overrides) - set(_FIELDS)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        values.update({k: v for k, v in overrides.items() if v is not None})

        trusted = values.get("trusted_types", ())
        if isinstance(trusted, str):
            trusted = [t.strip() for t in trusted.split(",") if t.strip()]
        if not isinstance(trusted, list | tuple) or not all(isinstance(t, str) for t in trusted):
            raise ConfigError("trusted_types must be a list of fully qualified type names")
        artifacts_url = values.get("artifacts_url")
        log_url = values.get("log_url") or (
            f"{str(artifacts_url).rstrip('/')}/log"
            if artifacts_url
            else str(root / "log" / "parquet")
        )
        online_store_url = (
            values.get("online_store_url") or f"sqlite:///{root / 'features' / 'online.db'}"
        )
        # Rate limits count where the workspace already keeps a Redis, else on this host.
        shared_redis = online_store_url.startswith(("redis://", "rediss://", "unix://"))
        return cls(
            home=root,
            database_url=values.get("database_url") or f"sqlite:///{root / 'driftline.db'}",
            artifacts_url=artifacts_url or str(root / "artifacts"),
            s3_endpoint_url=values.get("s3_endpoint_url"),
            actor=values.get("actor") or _os_user(),
            trusted_types=tuple(trusted),
            log_url=log_url,
            log_compact_seconds=_seconds(values.get("log_compact_seconds", 600.0)),
            online_store_url=online_store_url,
            limits_url=values.get("limits_url")
            or (online_store_url if shared_redis else f"sqlite:///{root / 'limits.db'}"),
            privacy=privacy,
            secret=env.get(f"{ENV_PREFIX}SECRET") or None,
        )


def _seconds(raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if not value >= 0:  # also refuses NaN
        raise ConfigError(
            f"log_compact_seconds must be a number of seconds (0 turns compaction off), got {raw!r}"
        )
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    section = data.get("workspace", data)
    unknown = {k for k in section if k not in _FIELDS and not isinstance(section[k], dict)}
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(_FIELDS)}"
        )
    return {k: section[k] for k in _FIELDS if k in section}


def _read_privacy(path: Path) -> dict[str, Any]:
    """The ``[privacy]`` table (checked by ``driftline.privacy``), or nothing."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    table = data.get("privacy", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [privacy] must be a table, got {table!r}")
    return table


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"
