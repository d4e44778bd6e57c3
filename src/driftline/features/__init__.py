"""Features: a point-in-time-correct feature store that training and serving share.

Declare feature views (in TOML or Python), register them in the workspace,
build training rows with :func:`historical` (each row gets the values as
they were at its own time), copy the latest values into an online store with
:func:`materialize` (SQLite in the workspace, or Redis), and let a deployment
complete a model's inputs from them by the request's entity key.
"""

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
from driftline.features._historical import historical
from driftline.features._report import Coverage, HistoricalResult, Materialized
from driftline.features._view import Feature, FeatureView, FileSource, SqlSource

__all__ = [
    "Coverage",
    "Feature",
    "FeatureView",
    "FileSource",
    "HistoricalResult",
    "Materialized",
    "Selection",
    "SqlSource",
    "apply",
    "get_view",
    "historical",
    "list_views",
    "read_views",
    "register_view",
    "remove_view",
    "select_features",
    "view_from_dict",
]
