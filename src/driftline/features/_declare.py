"""Feature views declared in TOML, and read back from their stored form.

One file may declare several views, one table each::

    [view.customer]
    entities = ["customer_id"]
    timestamp = "event_time"
    created = "created_at"          # optional: later rows for one event time correct it
    ttl = "30d"                     # optional: older values no longer describe the entity
    source = "customers/"           # Parquet or CSV files, relative to this file
    # source = { table = "customer_stats" }   # or a table of the workspace database

    [view.customer.features]
    spend_30d = "float"
    orders_30d = { type = "int", default = 0 }

Each error names the view and the key, in one sentence.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from driftline.errors import InputError
from driftline.features._keys import close_match
from driftline.features._view import FORMAT, Feature, FeatureView, FileSource, SqlSource

__all__ = ["read_views", "view_from_dict", "view_from_table"]

_KEYS = ("entities", "timestamp", "created", "ttl", "source", "features", "description")
_STORED = {"format", "name", "version"}
_FEATURE_KEYS = ("type", "default", "description")


def read_views(source: str | Path) -> list[FeatureView]:
    """The views declared in a TOML file (a path) or in TOML text."""
    base = Path.cwd()
    where = "the feature views"
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and "=" not in source
    ):
        path = Path(source)
        where, base = path.name, path.resolve().parent
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(
                f"feature view file {str(path)!r} does not exist; give the path of a TOML file"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read feature view file {str(path)!r}: {exc}") from exc
    else:
        text = str(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where} is not valid TOML: {exc}") from exc
    views = data.get("view")
    unknown = sorted(set(data) - {"view"})
    if unknown:
        raise InputError(
            f"{where}: unknown top-level key {unknown[0]!r}; declare each view as a "
            "[view.NAME] table"
        )
    if not isinstance(views, dict) or not views:
        raise InputError(f"{where} declares no feature view; add a [view.NAME] table")
    return [view_from_table(name, table, where=where, base=base) for name, table in views.items()]


def view_from_dict(d: Mapping[str, Any]) -> FeatureView:
    """A view from its stored :meth:`FeatureView.to_dict`."""
    if d.get("format", FORMAT) != FORMAT:
        raise InputError(
            f"feature view {d.get('name')!r} was stored in format {d.get('format')!r}, which "
            "this driftline cannot read; upgrade driftline"
        )
    view = view_from_table(str(d.get("name", "")), d, where="the stored feature view")
    version = d.get("version")
    return view.with_version(int(version)) if isinstance(version, int) else view


def view_from_table(name: str, table: Any, *, where: str, base: Path | None = None) -> FeatureView:
    """A view from one TOML table (or its stored dict); ``base`` resolves relative paths."""
    prefix = f"{where}: view {name!r}"
    if not isinstance(table, Mapping):
        raise InputError(f"{prefix} must be a table: [view.{name}]")
    for key in table:
        if key not in _KEYS and key not in _STORED:
            raise InputError(
                f"{prefix}: unknown key {key!r}{close_match(key, _KEYS)}; known keys: "
                f"{', '.join(_KEYS)}"
            )
    for key in ("entities", "timestamp", "source", "features"):
        if key not in table:
            raise InputError(f"{prefix}: key {key!r} is missing; every view needs it")
    entities = table["entities"]
    if isinstance(entities, str):
        entities = [entities]
    if not isinstance(entities, list) or not all(isinstance(e, str) for e in entities):
        raise InputError(f"{prefix}: key 'entities' must be a list of column names")
    ttl = table.get("ttl")
    if ttl is not None and not isinstance(ttl, str | dt.timedelta):
        raise InputError(f"{prefix}: key 'ttl' must be a period like 12h, 30d or 2w, got {ttl!r}")
    text = {k: table.get(k) for k in ("timestamp", "created", "description")}
    for key, value in text.items():
        if value is not None and not isinstance(value, str):
            raise InputError(f"{prefix}: key {key!r} must be text, got {value!r}")
    try:
        return FeatureView(
            name,
            entities=entities,
            timestamp=str(table["timestamp"]),
            source=_source(prefix, table["source"], base),
            features=_features(prefix, table["features"]),
            ttl=ttl,
            created=text["created"],
            description=text["description"] or "",
        )
    except InputError as exc:
        message = str(exc)
        # The view's own message names it already; say which file it came from.
        raise InputError(message if message.startswith(where) else f"{where}: {message}") from None


def _source(prefix: str, source: Any, base: Path | None) -> FileSource | SqlSource:
    if isinstance(source, str):
        path = Path(source).expanduser()
        if base is not None and not path.is_absolute():
            path = base / path
        return FileSource(str(path))
    if isinstance(source, Mapping):
        extra = sorted(set(source) - {"table", "schema", "path"})
        if extra:
            raise InputError(
                f"{prefix}: key 'source.{extra[0]}' is unknown; a source is a path, "
                '{ path = "..." } or { table = "..." }'
            )
        if isinstance(source.get("path"), str) and "table" not in source:
            return _source(prefix, source["path"], base)
        table, schema = source.get("table"), source.get("schema")
        if isinstance(table, str) and table and (schema is None or isinstance(schema, str)):
            return SqlSource(table, schema)
    raise InputError(
        f"{prefix}: key 'source' must be a path (\"customers.parquet\") or a table of the "
        f'workspace database ({{ table = "customer_stats" }}), got {source!r}'
    )


def _features(prefix: str, features: Any) -> list[Feature]:
    items: list[tuple[str, Any]]
    if isinstance(features, Mapping):  # TOML: name = "type" or name = { type = ..., ... }
        items = list(features.items())
    elif isinstance(features, list) and all(isinstance(f, Mapping) for f in features):
        items = [
            (str(f.get("name", "")), {k: v for k, v in f.items() if k != "name"}) for f in features
        ]
    else:
        raise InputError(
            f"{prefix}: key 'features' must be a table of name = \"type\" "
            "(int, float, string or bool)"
        )
    out = []
    for fname, spec in items:
        if isinstance(spec, str):
            spec = {"type": spec}
        if not isinstance(spec, Mapping):
            raise InputError(
                f"{prefix}: key 'features.{fname}' must be a type (\"float\") or a table "
                '{ type = "float", default = 0.0 }'
            )
        for key in spec:
            if key not in _FEATURE_KEYS:
                raise InputError(
                    f"{prefix}: unknown key 'features.{fname}.{key}'"
                    f"{close_match(key, _FEATURE_KEYS)}; known: {', '.join(_FEATURE_KEYS)}"
                )
        out.append(
            Feature(
                fname,
                spec.get("type", "float"),
                spec.get("default"),
                str(spec.get("description", "")),
            )
        )
    return out
