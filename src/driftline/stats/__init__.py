"""Numbers about data: mergeable profiles of tables.

A :class:`Profile` summarizes a table (counts, missing values, moments,
histograms on reference bins, category counts, a uniform row sample) and
merges with the profile of another partition into the profile of the union.
A categorical column also keeps its reference's every value outside the top
categories as hashes (:class:`KnownValues`), so values never seen in the
reference are counted apart (``ColumnProfile.unseen``).
"""

from __future__ import annotations

from driftline.stats._column import ColumnProfile
from driftline.stats._kinds import (
    KINDS,
    Kind,
    is_numeric_kind,
    kind_of,
    numeric_values,
    string_values,
)
from driftline.stats._known import KnownValues
from driftline.stats._moments import Moments
from driftline.stats._profile import Profile
from driftline.stats._reservoir import Reservoir

__all__ = [
    "KINDS",
    "ColumnProfile",
    "Kind",
    "KnownValues",
    "Moments",
    "Profile",
    "Reservoir",
    "is_numeric_kind",
    "kind_of",
    "numeric_values",
    "string_values",
]
