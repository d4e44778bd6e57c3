"""render_html: one self-contained page, headline first, every column present."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from driftline.drift import drift
from driftline.errors import InputError
from driftline.quality import check_quality
from driftline.report import render_html
from driftline.report._render import prose
from driftline.stats import Profile


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    n = 2000
    ref = pd.DataFrame(
        {
            "income": rng.lognormal(10, 0.5, n),
            "age": rng.integers(18, 80, n),
            "region": rng.choice(["north", "south", "east"], n),
            "tenure": rng.exponential(3, n),
        }
    )
    cur = ref.sample(1000, random_state=1).reset_index(drop=True)
    cur = cur.assign(income=cur["income"] * 1.8, age=cur["age"] + 12)
    cur.loc[:400, "region"] = "west"
    return ref, cur


class _Links(HTMLParser):
    """Every src and href of a page, and whether it has a script tag."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]


def assert_self_contained(page: str) -> None:
    parser = _Links()
    parser.feed(page)
    assert parser.scripts == 0
    assert not [u for u in parser.urls if re.match(r"\s*(https?:)?//", u)], parser.urls
    assert not re.search(r"https?://", page)
    assert "<link" not in page and "@import" not in page


def headline_of(page: str) -> str:
    match = re.search(r'<p class="headline[^"]*">(.*?)</p>', page, re.S)
    assert match is not None
    return match.group(1)


def test_drift_page_headline_columns_and_charts(frames) -> None:
    ref, cur = frames
    reference = Profile.build(ref)
    current = Profile.build(cur, reference=reference)
    report = drift(reference, current)
    page = render_html(report, reference=reference, current=current)
    assert_self_contained(page)
    changed = report.drifted_columns
    assert set(changed) == {"income", "age", "region"}
    first = f"<code>{report.most_drifted()[0]}</code>"
    assert headline_of(page) == (
        f"3 of 4 columns moved away from the reference data, most of all {first}. Fix the "
        "source if it is a fault in the data; if it is the new normal, retrain on recent data."
    )
    # The headline comes before any detail.
    assert page.index("3 of 4 columns moved") < page.index("<table")
    for column in ref.columns:
        assert f"<td>{column}</td>" in page and f"<h3>{column} " in page
    assert page.count("<svg") == 1 + len(ref.columns)
    # Categories the reference never had are counted, and drawn, as "other".
    assert ">other</text>" in page


def test_drift_page_without_profiles_still_has_the_effect_chart(frames) -> None:
    ref, _ = frames
    page = render_html(drift(ref, ref.sample(1000, random_state=2)))
    assert_self_contained(page)
    assert headline_of(page) == (
        "None of the 4 columns moved away from the reference data beyond chance and enough "
        "to matter. Nothing to do."
    )
    assert page.count("<svg") == 1


def test_quality_page_headline_findings_and_every_column(frames) -> None:
    ref, cur = frames
    report = check_quality(ref, cur)
    page = render_html(report)
    assert_self_contained(page)
    assert headline_of(page) == prose(report.headline) and not report.passed
    assert "<code>" in headline_of(page)  # column names set apart
    for finding in report.findings:
        assert prose(finding.message) in page
    for column in ref.columns:
        assert f"<td>{column}" in page


def test_names_from_the_data_are_escaped() -> None:
    ref = pd.DataFrame({"<b>x</b>": np.arange(200.0)})
    page = render_html(drift(ref, ref + 100))
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_title_and_unknown_reports() -> None:
    ref = pd.DataFrame({"x": np.arange(100.0)})
    assert "<title>Weekly check</title>" in render_html(drift(ref, ref), title="Weekly check")
    with pytest.raises(InputError, match="cannot render a dict as HTML"):
        render_html({"drift": True})


def test_quality_page_charts_flagged_columns_when_given_profiles(frames) -> None:
    ref, cur = frames
    reference = Profile.build(ref)
    current = Profile.build(cur, reference=reference)
    page = render_html(check_quality(ref, cur), reference=reference, current=current)
    assert_self_contained(page)
    assert "<h3>age " in page and "<h3>tenure " not in page
