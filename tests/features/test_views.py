"""Feature views: declared in TOML or Python, checked with one sentence per mistake, registered."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from driftline import Workspace
from driftline.errors import ConflictError, InputError, NotFoundError
from driftline.features import (
    Feature,
    FeatureView,
    SqlSource,
    apply,
    get_view,
    historical,
    list_views,
    read_views,
    register_view,
    remove_view,
)

VIEWS = """
[view.customer]
entities = ["customer_id"]
timestamp = "event_time"
created = "created_at"
ttl = "30d"
source = "customers.parquet"
description = "spend and plan of each customer"

[view.customer.features]
spend = "float"
plan = { type = "string", default = "basic" }
"""


@pytest.fixture
def customers(tmp_path: Path) -> Path:
    t = pd.Timestamp("2025-01-01", tz="UTC")
    pd.DataFrame(
        {
            "customer_id": [1, 2],
            "event_time": [t, t],
            "created_at": [t, t],
            "spend": [1.5, 2.5],
            "plan": ["pro", "basic"],
        }
    ).to_parquet(tmp_path / "customers.parquet")
    (tmp_path / "views.toml").write_text(VIEWS)
    return tmp_path / "views.toml"


def test_toml_declares_a_view_with_paths_relative_to_the_file(customers: Path) -> None:
    (view,) = read_views(customers)
    assert view.name == "customer" and view.entities == ("customer_id",)
    assert view.ttl == dt.timedelta(days=30) and view.created == "created_at"
    assert view.origin.describe() == str(customers.parent / "customers.parquet")
    assert view.feature("plan") == Feature("plan", "string", "basic")
    assert view.to_dict()["ttl"] == "30d"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('tll = "3d"', "view 'customer': unknown key 'tll' (did you mean 'ttl'?)"),
        ('ttl = "soon"', "key 'ttl' must be a period like 12h, 30d or 2w"),
        ("ttl = 30", "key 'ttl' must be a period like 12h, 30d or 2w, got 30"),
        ("source = 3", "key 'source' must be a path"),
        ('spend = "decimal"', "key 'features.spend.type' must be one of int, float, string, bool"),
        ('spend = { type = "float", deflt = 0 }', "unknown key 'features.spend.deflt'"),
        (
            'spend = { type = "float", default = "zero" }',
            "key 'features.spend.default' must be a float",
        ),
        ('customer_id = "int"', "feature 'customer_id' is also the view's 'entities' column"),
    ],
)
def test_each_mistake_is_one_sentence_naming_the_key(
    customers: Path, change: str, message: str
) -> None:
    key = change.split(" = ")[0]
    lines = [ln for ln in VIEWS.splitlines() if not ln.startswith(f"{key} =")]
    section = "[view.customer.features]" if key in {"spend", "customer_id"} else "[view.customer]"
    text = "\n".join(lines).replace(section, f"{section}\n{change}")
    with pytest.raises(InputError) as caught:
        read_views(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_keys_and_bad_names_are_refused() -> None:
    with pytest.raises(InputError, match="view 'c': key 'timestamp' is missing"):
        read_views('[view.c]\nentities = ["k"]\nsource = "x.parquet"\nfeatures = { a = "int" }')
    with pytest.raises(InputError, match="declares no feature view"):
        read_views("x = 1\n[view]\n".replace("x = 1\n", ""))
    with pytest.raises(InputError, match="must start with a lower-case letter"):
        FeatureView("Customer", entities=["k"], timestamp="t", source="x", features=["a"])
    with pytest.raises(InputError, match="column 't' is named by both 'entities' and 'timestamp'"):
        FeatureView("c", entities=["t"], timestamp="t", source="x", features=["a"])


def test_registering_checks_the_source_and_versions_changes(
    workspace: Workspace, customers: Path
) -> None:
    (view,) = apply(workspace.context, customers)
    assert view.version == 1
    again = register_view(workspace.context, read_views(customers)[0])
    assert again.version == 1  # the same declaration: nothing new
    changed = FeatureView(**{**_fields(view), "ttl": "7d"})
    assert register_view(workspace.context, changed).version == 2
    assert get_view(workspace.context, "customer").ttl == dt.timedelta(days=7)
    assert [v.name for v in list_views(workspace.context)] == ["customer"]
    actions = [e.action for e in workspace.audit_events(subject="feature_view:")]
    assert actions == ["feature_view.register", "feature_view.register"]

    wrong = FeatureView(**{**_fields(view), "features": [Feature("spend", "int")]})
    with pytest.raises(InputError, match=r"feature 'spend' is declared int but .* holds double"):
        register_view(workspace.context, wrong)
    missing = FeatureView(**{**_fields(view), "timestamp": "when"})
    with pytest.raises(InputError, match="its event time column 'when' is not in"):
        register_view(workspace.context, missing)

    with pytest.raises(NotFoundError, match=r"no feature view 'custmer' \(did you mean 'customer'"):
        get_view(workspace.context, "custmer")
    remove_view(workspace.context, "customer")
    assert list_views(workspace.context) == []
    assert (
        workspace.audit_events(action="feature_view.remove")[0].subject == "feature_view:customer"
    )
    assert workspace.verify_audit().ok


def test_a_view_used_by_a_deployment_cannot_be_removed(
    workspace: Workspace, customers: Path
) -> None:
    from driftline.store import DeploymentRow

    apply(workspace.context, customers)
    with workspace.db.write() as s:
        s.add(
            DeploymentRow(
                model="churn",
                alias="champion",
                canary_percent=0.0,
                updated_at=dt.datetime.now(dt.UTC),
                features={"use": ["customer:*"]},
            )
        )
    with pytest.raises(ConflictError, match=r"completes the inputs of deployment\(s\) churn"):
        remove_view(workspace.context, "customer")


def test_a_table_of_the_workspace_database_is_a_source(workspace: Workspace) -> None:
    meta = sa.MetaData()
    table = sa.Table(
        "customer_stats",
        meta,
        sa.Column("customer_id", sa.Integer),
        sa.Column("event_time", sa.DateTime(timezone=True)),
        sa.Column("spend", sa.Float),
    )
    meta.create_all(workspace.db.engine)
    t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with workspace.db.engine.begin() as conn:
        conn.execute(
            table.insert(),
            [
                {"customer_id": 1, "event_time": t, "spend": 1.0},
                {"customer_id": 1, "event_time": t + dt.timedelta(days=2), "spend": 2.0},
            ],
        )
    view = FeatureView(
        "stats",
        entities=["customer_id"],
        timestamp="event_time",
        source=SqlSource("customer_stats"),
        features=["spend"],
    )
    register_view(workspace.context, view)
    entities = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "at": [pd.Timestamp("2025-01-02", tz="UTC"), pd.Timestamp("2025-01-05", tz="UTC")],
        }
    )
    got = historical(workspace.context, entities, ["stats:spend"]).table
    assert got.column("spend").to_pylist() == [1.0, 2.0]
    with pytest.raises(
        InputError, match="reads table nowhere, which the workspace database does not"
    ):
        register_view(
            workspace.context, FeatureView(**{**_fields(view), "source": SqlSource("nowhere")})
        )


def _fields(view: FeatureView) -> dict[str, object]:
    return {
        "name": view.name,
        "entities": view.entities,
        "timestamp": view.timestamp,
        "source": view.source,
        "features": view.features,
        "ttl": view.ttl,
        "created": view.created,
    }
