"""The workspace's feature views: registered, versioned, audited; and names resolved to them.

Registering a view checks its source's columns against the declaration
before anything is written. The same declaration again changes nothing; a
changed one becomes the next version. Both registration and removal are
audit events.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from driftline import audit
from driftline.errors import ConflictError, InputError, NotFoundError
from driftline.features._declare import read_views, view_from_dict
from driftline.features._keys import close_match
from driftline.features._source import open_view
from driftline.features._view import FeatureView
from driftline.store import DeploymentRow, FeatureViewRow

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = [
    "Selection",
    "apply",
    "get_view",
    "list_views",
    "register_view",
    "remove_view",
    "select_features",
]


def register_view(ctx: Context, view: FeatureView, *, actor: str | None = None) -> FeatureView:
    """Register ``view`` (or its next version); returns it with its version number.

    The source is opened and its columns checked first: a view whose data does
    not match its declaration is refused with a sentence naming the column.
    """
    open_view(ctx, view)
    now = dt.datetime.now(dt.UTC)
    with ctx.db.write() as s:
        row = s.get(FeatureViewRow, view.name)
        if row is not None and view_from_dict(row.spec).same_declaration(view):
            return view.with_version(row.version)
        version = 1 if row is None else row.version + 1
        spec = view.with_version(version).to_dict()
        if row is None:
            s.add(
                FeatureViewRow(
                    name=view.name,
                    version=version,
                    spec=spec,
                    created_at=now,
                    updated_at=now,
                    updated_by=actor or ctx.settings.actor,
                )
            )
        else:
            row.version, row.spec, row.updated_at = version, spec, now
            row.updated_by = actor or ctx.settings.actor
        audit.append(
            s,
            actor=actor or ctx.settings.actor,
            action="feature_view.register",
            subject=f"feature_view:{view.name}",
            payload=spec,
        )
    return view.with_version(version)


def apply(ctx: Context, source: str | Path, *, actor: str | None = None) -> list[FeatureView]:
    """Register every view a TOML file declares (see ``_declare``); all are checked first."""
    views = read_views(source)
    for view in views:
        open_view(ctx, view)  # every source checked before the first is registered
    return [register_view(ctx, view, actor=actor) for view in views]


def get_view(ctx: Context, name: str) -> FeatureView:
    with ctx.db.read() as s:
        row = s.get(FeatureViewRow, name)
        if row is None:
            known = list(s.scalars(select(FeatureViewRow.name).order_by(FeatureViewRow.name)))
    if row is None:
        listed = ", ".join(known) if known else "none yet (driftline features apply VIEWS.toml)"
        raise NotFoundError(
            f"no feature view {name!r}{close_match(name, known)}; registered: {listed}"
        )
    return view_from_dict(row.spec)


def list_views(ctx: Context) -> list[FeatureView]:
    with ctx.db.read() as s:
        rows = list(s.scalars(select(FeatureViewRow).order_by(FeatureViewRow.name)))
    return [view_from_dict(r.spec) for r in rows]


def remove_view(ctx: Context, name: str, *, actor: str | None = None) -> None:
    """Remove a view; refused while a deployment completes its inputs from it."""
    get_view(ctx, name)
    with ctx.db.write() as s:
        users = [
            d.model
            for d in s.scalars(select(DeploymentRow))
            if any(ref.split(":", 1)[0] == name for ref in (d.features or {}).get("use", []))
        ]
        if users:
            raise ConflictError(
                f"feature view {name!r} completes the inputs of deployment(s) "
                f"{', '.join(sorted(users))}; deploy them without it first"
            )
        row = s.get(FeatureViewRow, name)
        if row is not None:
            s.delete(row)
            audit.append(
                s,
                actor=actor or ctx.settings.actor,
                action="feature_view.remove",
                subject=f"feature_view:{name}",
            )


@dataclasses.dataclass(frozen=True)
class Selection:
    """Features chosen from one view, in the order asked for."""

    view: FeatureView
    features: tuple[str, ...]


def select_features(views: Sequence[FeatureView] | Context, refs: Sequence[str]) -> list[Selection]:
    """``["view:feature", "view:*", ...]`` resolved against registered (or given) views.

    Views keep the order of their first mention; a feature asked twice counts once.
    """
    if isinstance(refs, str):
        refs = [r for r in (p.strip() for p in refs.split(",")) if r]
    if not refs:
        raise InputError('no features asked for; name them as "view:feature" or "view:*"')
    by_name: dict[str, FeatureView] = {}
    given = None if not isinstance(views, Sequence) else {v.name: v for v in views}
    chosen: dict[str, list[str]] = {}
    for ref in refs:
        name, sep, feature = str(ref).partition(":")
        if not sep or not name or not feature:
            raise InputError(
                f'feature {ref!r} must be written "view:feature" (or "view:*" for all of a '
                "view's features)"
            )
        if name not in by_name:
            if given is not None:
                if name not in given:
                    raise NotFoundError(
                        f"no feature view {name!r}{close_match(name, list(given))}; given: "
                        f"{', '.join(given) or 'none'}"
                    )
                by_name[name] = given[name]
            else:
                by_name[name] = get_view(views, name)  # type: ignore[arg-type]
        view = by_name[name]
        names = view.feature_names if feature == "*" else (view.feature(feature).name,)
        picked = chosen.setdefault(name, [])
        picked.extend(n for n in names if n not in picked)
    return [Selection(by_name[n], tuple(f)) for n, f in chosen.items()]
