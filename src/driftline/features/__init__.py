"""Features: a point-in-time-correct feature store that training and serving share.

Declare feature views (in TOML or Python), register them in the workspace,
build training rows with :func:`historical` (each row gets the values as
they were at its own time), copy the latest values into an online store with
:func:`materialize` (SQLite in the workspace, or Redis), and let a deployment
complete a model's inputs from them by the request's entity key
(:class:`FeatureBinding`, :class:`Lookup`).
"""

from driftline.features._binding import FeatureBinding, check_binding
from driftline.features._catalog import (
    Selection,
    apply,
    get_view,
    list_views,
    register_view,
    remove_view,
    select_features,
)
from driftline.features._declare import read_views, view_from_dict
from driftline.features._drift import profile_view, view_drift
from driftline.features._historical import historical
from driftline.features._keys import key_text
from driftline.features._lookup import Lookup
from driftline.features._materialize import materialize
from driftline.features._online import OnlineStore, Stored
from driftline.features._report import Coverage, HistoricalResult, Materialized
from driftline.features._sqlite import SQLiteStore
from driftline.features._stores import open_store
from driftline.features._view import Feature, FeatureView, FileSource, SqlSource

__all__ = [
    "Coverage",
    "Feature",
    "FeatureBinding",
    "FeatureView",
    "FileSource",
    "HistoricalResult",
    "Lookup",
    "Materialized",
    "OnlineStore",
    "SQLiteStore",
    "Selection",
    "SqlSource",
    "Stored",
    "apply",
    "check_binding",
    "get_view",
    "historical",
    "key_text",
    "list_views",
    "materialize",
    "open_store",
    "profile_view",
    "read_views",
    "register_view",
    "remove_view",
    "select_features",
    "view_drift",
    "view_from_dict",
]
