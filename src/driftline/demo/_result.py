"""What the demo did, as data."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from driftline.demo._scan import Found
from driftline.demo._setup import Audit, First
from driftline.demo._year import Replay

__all__ = ["Story"]


@dataclasses.dataclass
class Story:
    """What the demo did, as data: the test asserts on it, the summary renders it."""

    home: Path
    url: str
    window_seconds: int
    first: First
    audit: Audit
    dashboard: str  # its URL; sign in with ``dashboard_token``
    year: Replay
    planted: list[Found]
    audit_ok: bool
    audit_sentence: str
    seconds: float = 0.0
    dashboard_token: str = ""  # an operator token made for the person watching
