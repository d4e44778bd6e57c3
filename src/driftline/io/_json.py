"""Numbers as JSON can hold them: NaN and infinities become null.

JSON has no NaN or infinity. Python's json module writes them anyway, as
tokens no other parser accepts (PostgreSQL's json type refuses them), so
every ``to_dict`` and every JSON column goes through these two functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["json_number", "json_safe"]


def json_number(value: Any) -> float | None:
    """``value`` as a float, or None when it is missing, NaN or infinite.

    Example::

        >>> json_number(float("inf")) is None, json_number(np.float32(0.5))
        (True, 0.5)
    """
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made plain and non-finite floats None.

    Dicts (keys made text), lists and tuples are walked; other values pass.

    Example::

        >>> json_safe({"auc": np.float64("nan"), "n": np.int64(3), "edges": np.array([0.5])})
        {'auc': None, 'n': 3, 'edges': [0.5]}
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
