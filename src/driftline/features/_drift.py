"""A view's data profiled and watched for drift, like a model's inputs.

:func:`profile_view` summarizes the view's feature values over a window of
event times (a :class:`~driftline.stats.Profile`, read in batches, twice for
exact bins); :func:`view_drift` compares a recent window with the one before
it (or with any reference window), column by column, with
:func:`driftline.drift.drift`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pyarrow as pa

from driftline.errors import InputError
from driftline.features._catalog import get_view
from driftline.features._duck import connect, load, quote, sql_type, utc
from driftline.features._source import ViewData, arrow_type, open_view
from driftline.features._view import FeatureView

if TYPE_CHECKING:
    from driftline.drift import DriftReport
    from driftline.stats import Profile
    from driftline.store import Context

__all__ = ["profile_view", "view_drift"]

_BATCH = 65_536


def profile_view(
    ctx: Context,
    view: str | FeatureView,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    reference: Profile | None = None,
) -> Profile:
    """The profile of ``view``'s feature values with event times in ``[since, until)``.

    With ``reference`` the profile uses its bins and categories, to be compared with it.
    """
    from driftline.stats import Profile

    chosen = get_view(ctx, view) if isinstance(view, str) else view
    data = open_view(ctx, chosen)
    profile = Profile.build(_window(data, since, until), reference=reference)
    if profile.n_rows == 0:
        raise InputError(
            f"feature view {chosen.name!r} has no rows with event times {_span(since, until)}; "
            "choose another window"
        )
    return profile


def view_drift(
    ctx: Context,
    view: str,
    *,
    since: dt.datetime,
    until: dt.datetime | None = None,
    reference_since: dt.datetime | None = None,
    reference_until: dt.datetime | None = None,
    method: str = "auto",
) -> DriftReport:
    """Did ``view``'s values move? Rows of ``[since, until)`` against those before ``since``.

    ``reference_since`` and ``reference_until`` choose another reference window.
    """
    from driftline.drift import drift

    chosen = get_view(ctx, view)
    reference = profile_view(ctx, chosen, since=reference_since, until=reference_until or since)
    current = profile_view(ctx, chosen, since=since, until=until, reference=reference)
    return drift(reference, current, method=method)


def _window(data: ViewData, since: dt.datetime | None, until: dt.datetime | None) -> object:
    """The view's feature columns in the window, as a source :class:`Profile` can read twice."""
    from driftline.io import TableSource

    view = data.view
    event = utc(view.timestamp, data.schema.field(view.timestamp).type)
    conditions = [f"{event} >= '{_utc(since).isoformat()}'::TIMESTAMPTZ"] if since else []
    conditions += [f"{event} < '{_utc(until).isoformat()}'::TIMESTAMPTZ"] if until else []
    where = " AND ".join(conditions) or "TRUE"
    values = ", ".join(
        f"CAST({quote(f.name)} AS {sql_type(f.type)}) AS {quote(f.name)}" for f in view.declared
    )
    schema = pa.schema([pa.field(f.name, arrow_type(f.type)) for f in view.declared])

    def read(columns: list[str] | None) -> Iterator[pa.RecordBatch]:
        with connect() as con:
            load(con, "source", data.reader([view.timestamp, *view.feature_names]))
            reader = con.sql(f"SELECT {values} FROM source WHERE {where}").to_arrow_reader(_BATCH)
            for batch in reader:
                batch = batch.cast(schema) if not batch.schema.equals(schema) else batch
                yield batch if columns is None else batch.select(columns)

    return TableSource(schema, "file", read)


def _utc(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _span(since: dt.datetime | None, until: dt.datetime | None) -> str:
    if since and until:
        return f"from {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC"
    if since:
        return f"since {since:%Y-%m-%d %H:%M} UTC"
    if until:
        return f"before {until:%Y-%m-%d %H:%M} UTC"
    return "at all"
