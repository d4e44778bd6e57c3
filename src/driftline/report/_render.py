"""render_html(): one self-contained page per report, whatever the report.

Each kind of report registers a page builder with :func:`build_page`
(``functools.singledispatch`` on the report's type); the builder turns the
report's numbers into a :class:`Page` for its template. An evaluation or gate
report joins with one module holding ``@build_page.register`` and one
template; nothing here changes.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jinja2
import markupsafe

from driftline._version import __version__
from driftline.errors import InputError
from driftline.privacy import Redactor

# Imported for their registrations: each adds its report type to build_page.
from driftline.report import (  # noqa: F401
    _calibration_page,
    _drift_page,
    _evaluation_page,
    _gate_page,
    _quality_page,
)
from driftline.report._page import build_page
from driftline.stats import Profile

__all__ = ["prose", "render_html"]


_NAMED = re.compile(r"`([^`]+)`")


def prose(text: str) -> markupsafe.Markup:
    """A report's sentence as HTML: escaped, with the names it sets apart in `backticks` as code."""
    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(_NAMED.sub(r"<code>\1</code>", escaped))


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("driftline.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["prose"] = prose
    return env


def render_html(
    report: Any,
    *,
    reference: Profile | None = None,
    current: Profile | None = None,
    title: str | None = None,
    redactor: Redactor | None = None,
) -> str:
    """One self-contained HTML page (inline CSS and SVG, no script, no links) for a report.

    ``report`` is a :class:`~driftline.drift.DriftReport` or a
    :class:`~driftline.quality.QualityReport`. With the ``reference`` and
    ``current`` profiles (``current`` built with ``reference=``), columns
    also get a chart of both distributions: every column of a drift report,
    the flagged columns of a quality report. With a ``redactor``, personal
    values in the page's text are redacted by the workspace's policy.

    Example::

        >>> import pandas as pd
        >>> from driftline.drift import drift
        >>> ref = pd.DataFrame({"x": range(100)})
        >>> page = render_html(drift(ref, ref.assign(x=ref["x"] + 50)))
        >>> "1 of 1 column moved away from the reference data: <code>x</code>" in page
        True
    """
    for name, value in (("reference", reference), ("current", current)):
        if value is not None and not isinstance(value, Profile):
            raise InputError(f"{name} must be a driftline Profile, got {type(value).__name__}")
    page = build_page(report, reference=reference, current=current)
    if title:
        page.title = title
    template = _environment().get_template(page.template)
    html = template.render(page=page, version=__version__, **page.context)
    # A report quotes values (categories, findings): personal ones go before the page is written.
    return html if redactor is None else redactor.html(html)
