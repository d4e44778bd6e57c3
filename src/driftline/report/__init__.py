"""Reports as pages people read: one self-contained HTML file per report.

:func:`render_html` renders a :class:`~driftline.drift.DriftReport` or a
:class:`~driftline.quality.QualityReport` with Jinja2 templates into one page
with inline CSS and inline SVG charts: no script, no stylesheet or font to
fetch, so it opens offline, prints, and can be mailed as an attachment.
New report types register a page builder with :func:`build_page`.
"""

from __future__ import annotations

from driftline.report._page import Page, build_page
from driftline.report._reliability import reliability_svg
from driftline.report._render import render_html

__all__ = ["Page", "build_page", "reliability_svg", "render_html"]
