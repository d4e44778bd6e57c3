"""A model with a year of hourly windows (8,760): pages render, and chart data is cut to the chart.

How fast is measured in benchmarks/ui_bench.py, never asserted here.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from _serve import Dashboard, start_server
from _world import World
from _year import COLUMNS, WINDOWS, write_year
from sklearn.linear_model import LogisticRegression

from driftline import Workspace, auth, ui


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    home = tmp_path_factory.mktemp("ui-year") / "ws"
    ws = Workspace.init(home, actor="maker")
    rng = np.random.default_rng(0)
    train = pd.DataFrame({c: rng.normal(size=300) for c in COLUMNS})
    train["y"] = (train["income"] > 0).astype(int)
    ws.register(
        "year", LogisticRegression().fit(train[COLUMNS], train["y"]), train=train, target="y"
    )
    ws.set_alias("year", 1, "champion")
    write_year(ws.context, "year")
    _, viewer = auth.create(ws.context, role="viewer", name="victor")
    url, stop = start_server(ui.create_app(ws.context))
    yield Dashboard(url, World(ws, home, "", viewer, now=None))  # type: ignore[arg-type]
    stop()
    ws.close()


def test_history_is_cut_to_the_points_asked(year: Dashboard) -> None:
    with year.signed_in(year.world.viewer) as client:
        body = client.get("/v1/models/year/history", params={"points": 365}).json()
        fine = client.get("/v1/models/year/history", params={"points": 2000}).json()
        again = client.get("/v1/models/year/history", params={"points": 365}).json()
    assert body["windows"] == WINDOWS
    assert len(body["t"]) == 365 and body["bucket_hours"] == pytest.approx(24.0)
    assert all(len(v) == 365 for v in body["features"].values())
    assert len(fine["t"]) == 2000
    # A day's bucket keeps its largest effect: income moved in the last 30 days only.
    income = np.array(body["features"]["income"], dtype=float)
    assert income[-30:].min() > 0.15 > income[:-31].max()
    performance = body["performance"]
    assert performance["metric"] == "accuracy" and performance["reference"] == 0.91
    lows, highs = np.array(performance["low"]), np.array(performance["high"])
    assert (lows < np.array(performance["estimated"])).all() and (highs > lows).all()
    assert again == body  # the same answer from the cache while no window changed


def test_pages_render_for_a_year_of_windows(year: Dashboard) -> None:
    with year.signed_in(year.world.viewer) as client:
        overview = client.get("/ui/")
        model = client.get("/ui/models/year")
    assert overview.status_code == 200 and model.status_code == 200
    assert "Inputs shifted since" in model.text and "<code>income</code>" in model.text
    assert "down from 91%" in model.text
    assert "No predictions were logged in the last 24 hours" in model.text


def test_dashboard_alone_redirects_home(year: Dashboard) -> None:
    with year.client() as client:
        assert client.get("/").headers["location"] == "/ui/"
        assert client.get("/ui").headers["location"] == "/ui/"


def test_the_charts_script_is_served_without_a_session(year: Dashboard) -> None:
    # The sign-in page needs its stylesheet before anyone signs in.
    with year.client() as client:
        assert client.get("/ui/static/app.css").status_code == 200


def test_chart_json_is_small(year: Dashboard) -> None:
    with year.signed_in(year.world.viewer) as client:
        raw = client.get("/v1/models/year/history", params={"points": 365}).content
    assert len(raw) < 200_000  # the raw windows are about 20 MB
