"""A feature view: where the values of some features of one entity live, and for how long they hold.

A view names its entity key column(s), the column holding each row's event
time, its source (Parquet or CSV files read through :mod:`driftline.io`, or a
table of the workspace database), its features with their types, a
time-to-live past which a value no longer describes the entity, and
optionally a created-time column, so that a correction written later for the
same event time replaces the value from then on (and not before).

Every check here is static: the source's own columns are checked when the
view is registered (``_source.check_schema``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, cast

from driftline.errors import InputError
from driftline.features._keys import close_match

__all__ = [
    "FORMAT",
    "TYPES",
    "Feature",
    "FeatureView",
    "FileSource",
    "SqlSource",
    "format_period",
    "parse_period",
]

FORMAT = 1  # of a view's stored dict; a reader refuses formats it does not know
TYPES = ("int", "float", "string", "bool")
FeatureType = Literal["int", "float", "string", "bool"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_COLUMN = re.compile(r"^[^:*\s][^:*]{0,199}$")
_PERIOD = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_period(text: str, *, what: str) -> dt.timedelta:
    """``"30d"`` -> thirty days. Units: s, m, h, d, w; ``what`` names the key in the error."""
    match = _PERIOD.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) == 0:
        raise InputError(
            f"{what} must be a period like 12h, 30d or 2w (a number and a unit: s, m, h, d "
            f"or w), got {text!r}"
        )
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def format_period(period: dt.timedelta) -> str:
    """The shortest ``parse_period`` text for ``period`` (``"30d"``)."""
    seconds = int(period.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


@dataclasses.dataclass(frozen=True)
class Feature:
    """One feature: its column, its type, and the value served when a policy asks for a default."""

    name: str
    type: FeatureType = "float"
    default: Any = None
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.default is not None:
            out["default"] = self.default
        if self.description:
            out["description"] = self.description
        return out


@dataclasses.dataclass(frozen=True)
class FileSource:
    """A Parquet or CSV file, or a folder of them, read through :mod:`driftline.io`."""

    path: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path}

    def describe(self) -> str:
        return self.path


@dataclasses.dataclass(frozen=True)
class SqlSource:
    """A table (or view) of the workspace's metadata database."""

    table: str
    schema: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table} | ({"schema": self.schema} if self.schema else {})

    def describe(self) -> str:
        return f"table {self.schema + '.' if self.schema else ''}{self.table}"


Source = FileSource | SqlSource


@dataclasses.dataclass(frozen=True)
class FeatureView:
    """The declaration of one feature view; see the module docstring.

    Example::

        >>> view = FeatureView(
        ...     "customer",
        ...     entities=["customer_id"],
        ...     timestamp="event_time",
        ...     source="customers.parquet",
        ...     features=[Feature("spend_30d", "float", default=0.0), Feature("plan", "string")],
        ...     ttl="30d",
        ... )
        >>> view.feature_names, view.ttl
        (('spend_30d', 'plan'), datetime.timedelta(days=30))
    """

    name: str
    entities: Sequence[str]
    timestamp: str
    source: Source | str | Path
    features: Sequence[Feature | str]
    ttl: dt.timedelta | str | None = None
    created: str | None = None
    description: str = ""
    version: int | None = None  # set by the workspace when registered

    def __post_init__(self) -> None:
        where = f"feature view {self.name!r}"
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise InputError(
                f"a feature view's name must start with a lower-case letter and hold only "
                f"lower-case letters, digits and '_' (at most 63), got {self.name!r}"
            )
        entities = (self.entities,) if isinstance(self.entities, str) else tuple(self.entities)
        if not entities:
            raise InputError(f"{where}: key 'entities' must name at least one key column")
        features = tuple(Feature(f) if isinstance(f, str) else f for f in (self.features or ()))
        if not features:
            raise InputError(f"{where}: key 'features' must declare at least one feature")
        _check_columns(where, entities, features, self.timestamp, self.created)
        object.__setattr__(self, "entities", entities)
        object.__setattr__(self, "features", features)
        object.__setattr__(self, "source", _source(where, self.source))
        if isinstance(self.ttl, str):
            object.__setattr__(self, "ttl", parse_period(self.ttl, what=f"{where}: key 'ttl'"))
        elif self.ttl is not None and (
            not isinstance(self.ttl, dt.timedelta) or self.ttl <= dt.timedelta(0)
        ):
            raise InputError(f"{where}: key 'ttl' must be a positive period, got {self.ttl!r}")

    # -- reading ---------------------------------------------------------------------

    @property
    def origin(self) -> FileSource | SqlSource:
        """The source, as ``__post_init__`` settled it."""
        return cast(FileSource | SqlSource, self.source)

    @property
    def declared(self) -> tuple[Feature, ...]:
        """The features, as ``__post_init__`` settled them."""
        return tuple(f for f in self.features if isinstance(f, Feature))

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.declared)

    def feature(self, name: str) -> Feature:
        for f in self.declared:
            if f.name == name:
                return f
        raise InputError(
            f"feature view {self.name!r} has no feature {name!r}"
            f"{close_match(name, self.feature_names)}; it has {', '.join(self.feature_names)}"
        )

    @property
    def ttl_period(self) -> dt.timedelta | None:
        return self.ttl if isinstance(self.ttl, dt.timedelta) else None

    def same_declaration(self, other: FeatureView) -> bool:
        """True when both declare the same thing, whatever their registered versions."""
        return self.to_dict(version=False) == other.to_dict(version=False)

    # -- storing ---------------------------------------------------------------------

    def to_dict(self, *, version: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": FORMAT,
            "name": self.name,
            "entities": list(self.entities),
            "timestamp": self.timestamp,
            "source": self.origin.to_dict(),
            "features": [f.to_dict() for f in self.declared],
            "ttl": format_period(self.ttl_period) if self.ttl_period else None,
            "created": self.created,
            "description": self.description,
        }
        if version:
            out["version"] = self.version
        return out

    def with_version(self, version: int) -> FeatureView:
        return dataclasses.replace(self, version=version)


def _source(where: str, source: Any) -> Source:
    if isinstance(source, FileSource | SqlSource):
        return source
    if isinstance(source, str | Path) and str(source).strip():
        return FileSource(str(source))
    raise InputError(
        f"{where}: key 'source' must be the path of a Parquet or CSV file or folder, or "
        f'{{ table = "name" }} for a table of the workspace database, got {source!r}'
    )


def _check_columns(
    where: str,
    entities: tuple[str, ...],
    features: tuple[Feature, ...],
    timestamp: str,
    created: str | None,
) -> None:
    named = [("entities", e) for e in entities]
    named += [("timestamp", timestamp)] + ([("created", created)] if created is not None else [])
    for key, column in named:
        if not isinstance(column, str) or not _COLUMN.match(column):
            raise InputError(
                f"{where}: key {key!r} must name a column (text without ':' or '*'), got {column!r}"
            )
    seen: dict[str, str] = {}
    for key, column in named:
        if column in seen:
            raise InputError(
                f"{where}: column {column!r} is named by both {seen[column]!r} and {key!r}; "
                "each must be a column of its own"
            )
        seen[column] = key
    for f in features:
        if not isinstance(f, Feature):
            raise InputError(f"{where}: key 'features' must list features, got {f!r}")
        if not isinstance(f.name, str) or not _COLUMN.match(f.name):
            raise InputError(
                f"{where}: feature name {f.name!r} must be a column name without ':' or '*'"
            )
        if f.name in seen:
            raise InputError(
                f"{where}: feature {f.name!r} is also the view's {seen[f.name]!r} column; "
                "a feature must be a column of its own"
            )
        seen[f.name] = "features"
        if f.type not in TYPES:
            raise InputError(
                f"{where}: key 'features.{f.name}.type' must be one of "
                f"{', '.join(TYPES)}, got {f.type!r}"
            )
        if f.default is not None and not _fits(f.default, f.type):
            raise InputError(
                f"{where}: key 'features.{f.name}.default' must be a {f.type} value like the "
                f"feature's, got {f.default!r}"
            )


def _fits(value: Any, kind: str) -> bool:
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)
