"""Page and build_page: what a report's page builder returns, and the registry of builders.

Each kind of report registers a builder (``functools.singledispatch`` on the
report's type) that turns its numbers into a :class:`Page` for its template.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from driftline.errors import InputError
from driftline.stats import Profile

__all__ = ["Page", "build_page"]


@dataclass
class Page:
    """What a template needs: a title, the headline sentence, and its own context."""

    template: str
    title: str
    headline: str
    status: str  # "good" | "warn" | "bad": the color of the headline
    context: dict[str, Any] = field(default_factory=dict)


@functools.singledispatch
def build_page(
    report: Any, *, reference: Profile | None = None, current: Profile | None = None
) -> Page:
    """The page of a report; each report type registers its own builder."""
    kinds = sorted(t.__name__ for t in build_page.registry if t is not object)
    raise InputError(
        f"cannot render a {type(report).__name__} as HTML; render_html takes one of {kinds}"
    )
