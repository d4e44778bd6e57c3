"""A fingerprint of a table's content: the same rows, columns and types, the same hash."""

from __future__ import annotations

import hashlib
from typing import Any

from driftline.io._source import read_frame

__all__ = ["fingerprint"]

_ROWS = 1_000_000  # hashed in blocks of this many rows, so memory stays bounded


def fingerprint(data: Any) -> str:
    """``sha256:`` and the hex digest of the rows, column names and dtypes; row order matters.

    ``data`` is anything :func:`read_frame` reads; a file is fingerprinted as
    the frame it reads into, so a CSV and the frame read from it agree.

    Example::

        >>> import pandas as pd
        >>> a = fingerprint(pd.DataFrame({"x": [1, 2]}))
        >>> a == fingerprint(pd.DataFrame({"x": [1, 2]})), a == fingerprint(pd.DataFrame({"x": [2, 1]}))
        (True, False)
    """
    import pandas as pd

    frame = read_frame(data, what="the data to fingerprint")
    h = hashlib.sha256()
    h.update("\x1f".join(f"{c}:{frame[c].dtype}" for c in frame.columns).encode("utf-8"))
    # hash_pandas_object is vectorized and stable across runs for the same content.
    for start in range(0, len(frame), _ROWS):
        chunk = frame.iloc[start : start + _ROWS]
        h.update(pd.util.hash_pandas_object(chunk, index=False).to_numpy().tobytes())
    return "sha256:" + h.hexdigest()
