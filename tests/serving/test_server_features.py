"""Serving with feature inputs: completed by the request's entity key, as training saw them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from driftline import Workspace
from driftline.errors import InputError, NotFoundError
from driftline.features import (
    Feature,
    FeatureBinding,
    FeatureView,
    historical,
    materialize,
    register_view,
)
from driftline.serving import deploy

DAY = dt.timedelta(days=1)


def _history(now: dt.datetime) -> pd.DataFrame:
    def at(days: float) -> pd.Timestamp:
        return pd.Timestamp(now + days * DAY)

    rows = [
        (1, at(-40), at(-40), 1.0, 1),
        (1, at(-2), at(-2), 2.0, 2),
        (1, at(5), at(5), 999.0, 99),  # the future: neither training nor serving sees it
        (2, at(-60), at(-60), 20.0, 4),  # past the 30-day time-to-live
        (3, at(-1), at(-1), 30.0, 3),
        (3, at(-1), at(-0.5), 31.0, 3),  # a correction, written half a day later
    ]
    return pd.DataFrame(
        rows, columns=["customer_id", "event_time", "created_at", "spend", "orders"]
    )


@pytest.fixture
def shop(tmp_path: Path, database_url: str, request: pytest.FixtureRequest) -> Any:
    """A workspace whose model 'churn' takes spend and orders from a view, amount from requests."""
    return _shop(tmp_path, request, database_url=database_url)


def _shop(tmp_path: Path, request: pytest.FixtureRequest, **settings: str) -> Any:
    now = dt.datetime.now(dt.UTC)
    _history(now).to_parquet(tmp_path / "customers.parquet")
    rng = np.random.default_rng(3)
    train = pd.DataFrame(
        {
            "spend": rng.normal(10, 5, 400),
            "orders": rng.integers(0, 10, 400).astype("int64"),
            "amount": rng.normal(0, 1, 400),
        }
    )
    y = (train["spend"] / 10 + train["amount"] + rng.normal(0, 0.5, 400) > 1).astype(int)
    model = LogisticRegression().fit(train, y)
    ws = Workspace.init(tmp_path / "ws", actor="tester", **settings)
    request.addfinalizer(ws.close)
    mv = ws.register("churn", model, train=train.assign(churned=y), target="churned")
    ws.set_alias("churn", mv.version, "champion")
    view = FeatureView(
        "customer",
        entities=["customer_id"],
        timestamp="event_time",
        created="created_at",
        source=str(tmp_path / "customers.parquet"),
        features=[Feature("spend", "float", default=0.0), Feature("orders", "int", default=0)],
        ttl="30d",
    )
    register_view(ws.context, view)
    return ws, model, now


def _predict(url: str, records: list[dict[str, Any]]) -> httpx.Response:
    return httpx.post(f"{url}/v1/models/churn/predict", json={"records": records}, timeout=10)


def test_served_inputs_agree_with_the_training_rows_of_the_same_entity_and_time(
    shop: Any, serve: Callable[..., Any]
) -> None:
    ws, model, now = shop
    materialize(ws.context, until=now)
    deploy(ws.context, "churn", features=FeatureBinding(("customer:*",)))
    server = serve(ws)

    amounts = [0.3, -1.2]
    entities = pd.DataFrame({"customer_id": [1, 3], "at": [now, now], "amount": amounts})
    training = historical(ws.context, entities, ["customer:*"]).table.to_pandas()
    assert training["spend"].tolist() == [2.0, 31.0]  # no future value, the correction known

    r = _predict(
        server.url, [{"customer_id": 1, "amount": 0.3}, {"customer_id": 3, "amount": -1.2}]
    )
    assert r.status_code == 200, r.text
    expected = model.predict_proba(training[["spend", "orders", "amount"]])
    got = np.array([[p["0"], p["1"]] for p in r.json()["probabilities"]])
    np.testing.assert_allclose(got, expected, atol=1e-6)

    # The same rows as MLflow records (a frame, not the numeric fast path): the same answer.
    r = httpx.post(
        f"{server.url}/invocations",
        json={
            "dataframe_records": [
                {"customer_id": 1, "amount": 0.3},
                {"customer_id": 3, "amount": -1.2},
            ]
        },
        timeout=10,
    )
    assert r.status_code == 200, r.text
    assert (
        r.json()["predictions"] == model.predict(training[["spend", "orders", "amount"]]).tolist()
    )

    # The log holds what the model saw, the entity, and when its values were true.
    table = server.state.log.read("churn").to_pandas().iloc[:2]
    assert table["spend"].tolist() == [2.0, 31.0] and table["orders"].tolist() == [2, 3]
    assert table["customer_id"].tolist() == [1, 3]
    assert pd.to_datetime(table["customer.as_of"]).tolist() == [
        pd.Timestamp(now - 2 * DAY),
        pd.Timestamp(now - DAY),
    ]


@pytest.mark.redis
def test_served_from_redis_as_from_sqlite(
    tmp_path: Path, request: pytest.FixtureRequest, redis_url: str, serve: Callable[..., Any]
) -> None:
    ws, model, now = _shop(tmp_path, request, online_store_url=redis_url)
    (done,) = materialize(ws.context, until=now)
    assert done.store == redis_url and done.entities == 3
    deploy(ws.context, "churn", features=FeatureBinding(("customer:*",)))
    server = serve(ws)
    r = _predict(server.url, [{"customer_id": 3, "amount": 1.0}])
    assert r.status_code == 200, r.text
    expected = model.predict_proba(pd.DataFrame({"spend": [31.0], "orders": [3], "amount": [1.0]}))
    np.testing.assert_allclose([r.json()["probabilities"][0]["1"]], expected[:, 1], atol=1e-6)
    r = _predict(server.url, [{"customer_id": 9, "amount": 1.0}])
    assert r.status_code == 400 and "no features of view 'customer' for customer_id 9" in r.text


def test_missing_and_stale_entities_fail_naming_the_view_and_the_entity(
    shop: Any, serve: Callable[..., Any]
) -> None:
    ws, _, now = shop
    materialize(ws.context, until=now)
    deploy(ws.context, "churn", features=FeatureBinding(("customer:spend", "customer:orders")))
    server = serve(ws)
    r = _predict(server.url, [{"customer_id": 9, "amount": 0.0}])
    assert r.status_code == 400
    assert r.json()["error"].startswith(
        "no features of view 'customer' for customer_id 9 in the online store, and the "
        "deployment of churn fails on missing features"
    )
    r = _predict(server.url, [{"customer_id": 2, "amount": 0.0}])
    assert r.status_code == 400
    assert r.json()["error"].startswith(
        "the features of view 'customer' for customer_id 2 are 60 days old, older than the "
        "view's time-to-live of 30d"
    )
    r = _predict(server.url, [{"amount": 0.0}])
    assert r.status_code == 400 and "has no 'customer_id'" in r.json()["error"]
    # Inputs the request carries are its own: nothing to look up.
    r = _predict(server.url, [{"spend": 5.0, "orders": 1, "amount": 0.0}])
    assert r.status_code == 200, r.text


def test_a_default_policy_serves_declared_defaults(
    shop: Any, serve: Callable[..., Any], tmp_path: Path
) -> None:
    ws, model, now = shop
    materialize(ws.context, until=now)
    policy = tmp_path / "churn.toml"
    policy.write_text(
        '[features]\nuse = ["customer:*"]\non_missing = "default"\non_stale = "default"\n'
        "[gate]\nmin_rows = 10\n"
    )
    deploy(ws.context, "churn", features=FeatureBinding.from_policy(policy))
    server = serve(ws)
    r = _predict(server.url, [{"customer_id": 9, "amount": 0.5}, {"customer_id": 2, "amount": 0.5}])
    assert r.status_code == 200, r.text
    expected = model.predict_proba(
        pd.DataFrame({"spend": [0.0, 0.0], "orders": [0, 0], "amount": [0.5, 0.5]})
    )
    got = np.array([[p["0"], p["1"]] for p in r.json()["probabilities"]])
    np.testing.assert_allclose(got, expected, atol=1e-6)
    logged = server.state.log.read("churn").to_pandas()
    assert logged["customer.as_of"].isna().all()  # defaults: no value's time to show


def test_deploy_refuses_features_the_model_cannot_use(shop: Any) -> None:
    ws, _, _ = shop
    with pytest.raises(InputError, match=r"feature view 'customer' has no feature 'plan'"):
        deploy(ws.context, "churn", features=FeatureBinding(("customer:plan",)))
    with pytest.raises(NotFoundError, match="no feature view 'device'; registered: customer"):
        deploy(ws.context, "churn", features=FeatureBinding(("device:*",)))
    with pytest.raises(InputError, match="key 'on_missing' must be 'fail' or 'default'"):
        FeatureBinding(("customer:*",), on_missing="skip")
    assert ws.audit_events(action="deploy") == []  # nothing was written
