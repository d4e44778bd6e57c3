"""The dashboard in a real browser: the system Chromium, driven by Playwright, checked by axe-core.

One browser for the session, a fresh context (cookies) per person. Each
page is saved as a screenshot under the session's temporary folder
(``screenshots/``), or in DRIFTLINE_SCREENSHOTS when it names a folder; the
model page's is the one the README shows (docs/dashboard-model.png).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _serve import Dashboard

from driftline import audit, registry

pytestmark = pytest.mark.browser

REQUIRE_SERVICES = os.environ.get("DRIFTLINE_REQUIRE_SERVICES") == "1"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
SERIOUS = ("serious", "critical")


def unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (DRIFTLINE_REQUIRE_SERVICES=1 requires it)")
    pytest.skip(reason)


def _chromium() -> str | None:
    return next((p for p in CHROMIUM if os.access(p, os.X_OK)), shutil.which("chromium"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module-scoped: while Playwright's sync API is open, this thread has a running event
    # loop, and every later test of the process calling asyncio.run would fail.
    path = _chromium()
    if path is None:
        unavailable("no Chromium is installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install 'driftline[test]')")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: DRIFTLINE_SCREENSHOTS, else the session's temporary folder."""
    chosen = os.environ.get("DRIFTLINE_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sign_in(browser: Any, dashboard: Dashboard, secret: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{dashboard.url}/ui/")
    assert page.url.endswith("/ui/signin?next=/ui/")
    page.get_by_label("Token").fill(secret)
    page.keyboard.press("Enter")  # the form works from the keyboard
    page.wait_for_url(f"{dashboard.url}/ui/")
    return page


def _axe(page: Any, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    described = [f"{v['id']} ({v['impact']}): {v['help']}" for v in bad]
    assert not bad, f"{name} page: " + "; ".join(described)


def _charts_drawn(page: Any) -> None:
    """Each chart drew a canvas or said in words why it has nothing to draw."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure.chart .plot')]"
        ".every(p => p.querySelector('canvas, .empty'))",
        timeout=15_000,
    )


def test_operator_reads_rolls_back_and_sees_it_recorded(
    browser: Any, dashboard: Dashboard, shots: Path
) -> None:
    page = _sign_in(browser, dashboard, dashboard.world.operator)
    page.screenshot(path=shots / "overview.png", full_page=True)
    _axe(page, "overview")

    page.get_by_role("link", name="shop", exact=True).click()
    page.wait_for_url("**/ui/models/shop")
    why = page.locator("p.why").inner_text()
    assert "income" in why and "shifted" in why
    light = page.locator("p.light").first.inner_text()
    assert light.strip() == "Needs action"
    _charts_drawn(page)
    assert page.locator("figure.chart canvas").count() == 5  # every chart has data here
    page.screenshot(path=shots / "model-full.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 1700})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=shots / "model.png")
    _axe(page, "model")

    page.get_by_role("link", name="Roll back to version 1…").click()
    assert "goes back from version 2 to version 1" in page.locator("p.plan").inner_text()
    page.screenshot(path=shots / "confirm.png", full_page=True)
    _axe(page, "confirm")
    page.get_by_role("button", name="Yes, roll back").click()
    page.wait_for_url("**/ui/models/shop?done=rollback#audit")
    assert "Rolled back" in page.get_by_role("status").inner_text()
    row = page.locator("#versions tbody tr", has_text="champion")
    assert row.locator("th").inner_text() == "1"  # the alias moved
    audit_rows = page.locator("table.audit tbody tr")
    assert "rollout.rollback" in audit_rows.first.inner_text()
    assert "olivia" in audit_rows.first.inner_text()
    ctx = dashboard.world.ws.context
    assert registry.get(ctx, "shop@champion").version == 1
    assert audit.events(ctx.db, subject="shop")[-1].actor == "olivia"

    page.goto(f"{dashboard.url}/ui/models/shop/compare?a=1&b=2")
    page.screenshot(path=shots / "compare.png", full_page=True)
    _axe(page, "compare")
    page.context.close()


def test_the_traffic_charts_change_range(browser: Any, dashboard: Dashboard, shots: Path) -> None:
    page = _sign_in(browser, dashboard, dashboard.world.viewer)
    page.goto(f"{dashboard.url}/ui/models/shop")
    ranges = page.get_by_role(
        "navigation", name="Time range of the request and response-time charts"
    )
    assert ranges.locator("[aria-current]").inner_text() == "last 7 days"
    ranges.get_by_role("link", name="last year").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/models/shop?traffic=365#charts-h")
    _charts_drawn(page)
    assert ranges.locator("[aria-current]").inner_text() == "last year"
    traffic = page.locator("figure.chart[data-chart=traffic]")
    assert "Requests and failures, last year" in traffic.locator("h3").inner_text()
    assert "each day" in traffic.locator("figcaption p").inner_text()
    assert traffic.locator("canvas").count() == 1  # two days of requests, drawn day by day
    page.screenshot(path=shots / "model-year.png", full_page=True)
    _axe(page, "model, a year of traffic")
    page.context.close()


def test_viewer_has_no_buttons_and_is_refused(
    browser: Any, dashboard: Dashboard, shots: Path
) -> None:
    page = _sign_in(browser, dashboard, dashboard.world.viewer)
    page.goto(f"{dashboard.url}/ui/models/shop")
    assert page.locator("a[href*='/act/'], form[action*='/act/']").count() == 0
    answer = page.goto(f"{dashboard.url}/ui/models/shop/act/rollback")
    assert answer is not None and answer.status == 403
    assert "Only the operator role may roll back" in page.get_by_role("alert").inner_text()
    page.screenshot(path=shots / "refused.png", full_page=True)
    _axe(page, "refused")
    assert registry.get(dashboard.world.ws.context, "shop@champion").version == 2
    page.context.close()


def test_sign_in_page_is_accessible_and_keyboard_first(
    browser: Any, dashboard: Dashboard, shots: Path
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{dashboard.url}/ui/signin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.screenshot(path=shots / "signin.png", full_page=True)
    _axe(page, "sign-in")
    context.close()
