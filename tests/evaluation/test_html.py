"""The evaluation page: self-contained, well formed, with the pictures each task calls for."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from driftline.evaluation import EvaluationReport, evaluate
from driftline.report import render_html

FAST = {"n_resamples": 100, "discover": False}
VOID = {"meta", "br", "hr", "img", "input", "link", "path", "rect", "line", "circle", "col"}


class _Page(HTMLParser):
    """Tags left open, links, scripts, and the ids of the charts."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.urls: list[str] = []
        self.scripts = 0
        self.charts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        self.urls += [v or "" for k, v in attrs if k in ("src", "href")]
        if tag == "svg":
            self.charts.append(dict(attrs).get("aria-label") or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        # HTML lets <li>, <p>, <tr>, <td> close implicitly; everything else must nest.
        while (
            self.stack and self.stack[-1] != tag and self.stack[-1] in ("li", "p", "td", "th", "tr")
        ):
            self.stack.pop()
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert parser.problems == [] and parser.stack == []
    assert parser.scripts == 0 and parser.urls == []
    assert not re.search(r"https?://", page), "the page must not fetch anything"
    assert "<link" not in page and "@import" not in page
    return parser


def headline(page: str) -> str:
    found = re.search(r'<p class="headline[^"]*">(.*?)</p>', page, re.S)
    assert found
    return html.unescape(found.group(1)).strip()


def test_binary_page(churn_model, churn_test) -> None:
    report = evaluate(churn_model, churn_test, target="churned", **FAST)
    page = render_html(report)
    charts = parse(page).charts
    assert headline(page) == report.headline
    for name in ("ROC curve", "precision-recall curve", "confusion matrix"):
        assert name in charts
    assert any(c.startswith("reliability diagram") for c in charts)
    assert any(c.startswith("each metric") for c in charts)
    assert "Can its probabilities be trusted?" in page and "expected calibration error" in page


def test_multiclass_page(three_classes) -> None:
    df, model = three_classes
    report = evaluate(model, df, target="kind", **FAST)
    page = render_html(report)
    charts = parse(page).charts
    assert "confusion matrix" in charts and "ROC curve" not in charts
    assert any("of each class" in c for c in charts)
    assert "weakest</span>" in page


def test_regression_page(prices) -> None:
    df, model = prices
    report = evaluate(model, df, target="price", **FAST)
    page = render_html(report)
    charts = parse(page).charts
    assert "predicted against actual values" in charts and "how far predictions miss" in charts
    assert "confusion matrix" not in charts and "reliability" not in page
    assert page.count("<circle") == 400


def test_stored_report_renders_the_same(registered, churn_test) -> None:
    report = registered.evaluate("churn@champion", churn_test, **FAST)
    page = render_html(report)
    assert render_html(EvaluationReport.from_dict(report.to_dict())) == page
    assert "Is the data fit to judge the model on?" in page
    assert headline(page).startswith("churn:1: accuracy")


def test_labels_are_escaped(churn_model, churn_test) -> None:
    report = evaluate(churn_model, churn_test, target="churned", **FAST)
    report.model = "<b>evil</b>"
    page = render_html(report)
    assert "<b>evil</b>" not in page and "&lt;b&gt;evil&lt;/b&gt;" in page
    parse(page)


@pytest.mark.parametrize("title", ["Quarterly check"])
def test_title(churn_model, churn_test, title) -> None:
    report = evaluate(churn_model, churn_test, target="churned", **FAST)
    assert f"<title>{title}</title>" in render_html(report, title=title)
