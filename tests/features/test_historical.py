"""The point-in-time join: nothing from after a row's time, nothing past its time-to-live."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftline.errors import InputError, NotFoundError
from driftline.features import Feature, FeatureView, historical

T0 = pd.Timestamp("2025-03-01", tz="UTC")


def day(n: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=n)


def view_of(path: Path, *, created: bool = True, ttl: str | None = "10d") -> FeatureView:
    return FeatureView(
        "customer",
        entities=["customer_id"],
        timestamp="event_time",
        created="created_at" if created else None,
        source=str(path),
        features=[Feature("spend", "float", default=-1.0), Feature("plan", "string")],
        ttl=ttl,
    )


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """Values from the future, values past their time-to-live and late corrections."""
    rows = [
        # customer 1: an honest history
        (1, day(0), day(0), 10.0, "basic"),
        (1, day(5), day(5), 15.0, "basic"),
        # ... a value from the future of every entity row below
        (1, day(30), day(30), 999.0, "future"),
        # customer 2: a correction of day 2's value, written on day 8
        (2, day(2), day(2), 20.0, "pro"),
        (2, day(2), day(8), 21.0, "pro-corrected"),
        # ... and an old event that arrived late (written on day 9): never newer than day 4
        (2, day(1), day(9), 555.0, "late-old"),
        (2, day(4), day(4), 24.0, "pro"),
        # customer 3: one value, long ago
        (3, day(0), day(0), 30.0, "stale"),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "event_time", "created_at", "spend", "plan"])
    path = tmp_path / "customers.parquet"
    frame.to_parquet(path)
    return path


def test_no_future_value_no_expired_value_no_unknown_correction_leaks(planted: Path) -> None:
    entities = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 2, 2, 3, 3, 4],
            "at": [
                day(-1),
                day(3),
                day(12),
                day(3),
                day(4.5),
                day(8.5),
                day(10),
                day(5),
                day(11),
                day(3),
            ],
            "label": list(range(10)),
        }
    )
    result = historical([view_of(planted)], entities, ["customer:*"])
    got = result.table.to_pandas()
    assert got["label"].tolist() == list(range(10))  # every row, in its order
    assert got["spend"].tolist() == pytest.approx(
        [
            np.nan,  # before customer 1's first value
            10.0,  # day 3: day 0's value; day 5's is in the future
            15.0,  # day 12: day 5's (7 days old, within 10); day 30's is in the future
            20.0,  # day 3: the correction of day 2 is written only on day 8
            24.0,  # day 4.5: day 4's value
            24.0,  # day 8.5: day 4's still; the correction of day 2 is older news
            24.0,  # day 10: the late day-1 row (written day 9) is older than day 4's
            30.0,  # day 5: day 0's value, 5 days old
            np.nan,  # day 11: day 0's value is 11 days old, past the 10-day time-to-live
            np.nan,  # customer 4 has no value at all
        ],
        nan_ok=True,
    )
    assert got["plan"].tolist()[3:6] == ["pro", "pro", "pro"]
    assert 999.0 not in got["spend"].tolist() and "future" not in got["plan"].tolist()
    (coverage,) = result.coverage
    assert (coverage.found, coverage.expired, coverage.missing) == (7, 1, 2)
    assert result.sentences() == [
        "2 features of view 'customer': 7 of 10 rows got values; 2 of 10 rows had no value at "
        "or before their time and 1 of 10 rows had only values older than the view's "
        "time-to-live (30% left empty)"
    ]


def test_the_latest_correction_known_at_a_rows_time_wins(planted: Path) -> None:
    entities = pd.DataFrame({"customer_id": [2, 2], "at": [day(2.5), day(3)]})
    frame = pd.read_parquet(planted)
    # Two more corrections of day 2: one written on day 2.5, one on day 2.75.
    more = pd.DataFrame(
        {
            "customer_id": [2, 2],
            "event_time": [day(2), day(2)],
            "created_at": [day(2.75), day(2.5)],
            "spend": [22.75, 22.5],
            "plan": ["c2", "c1"],
        }
    )
    path = planted.parent / "more.parquet"
    pd.concat([frame, more]).to_parquet(path)
    got = historical([view_of(path)], entities, ["customer:spend"]).table
    assert got.column("spend").to_pylist() == [22.5, 22.75]


def test_defaults_fill_what_is_missing_or_expired_as_a_deployment_would(planted: Path) -> None:
    entities = pd.DataFrame({"customer_id": [1, 3, 4], "at": [day(3), day(11), day(3)]})
    got = historical([view_of(planted)], entities, ["customer:*"], defaults=True).table
    assert got.column("spend").to_pylist() == [10.0, -1.0, -1.0]
    assert got.column("plan").to_pylist() == ["basic", None, None]  # no default declared


def test_a_view_without_time_to_live_keeps_old_values(planted: Path) -> None:
    entities = pd.DataFrame({"customer_id": [3], "at": [day(400)]})
    got = historical([view_of(planted, ttl=None)], entities, ["customer:spend"]).table
    assert got.column("spend").to_pylist() == [30.0]


def test_naive_times_are_utc_and_written_results_read_back(planted: Path, tmp_path: Path) -> None:
    entities = pd.DataFrame(
        {"customer_id": [1, 1], "at": [pd.Timestamp("2025-03-04"), pd.Timestamp("2025-03-13")]}
    )
    out = tmp_path / "train.parquet"
    result = historical([view_of(planted)], entities, ["customer:spend"], out=out)
    assert result.table is None and result.rows == 2
    assert result.to_pandas()["spend"].tolist() == [10.0, 15.0]
    assert not list(tmp_path.glob(".*partial"))


def test_entity_rows_from_a_csv_file(planted: Path, tmp_path: Path) -> None:
    path = tmp_path / "entities.csv"
    path.write_text("customer_id,at,label\n1,2025-03-04T00:00:00Z,1\n2,2025-03-03T00:00:00Z,0\n")
    got = historical([view_of(planted)], path, ["customer:spend"]).table
    assert got.column("spend").to_pylist() == [10.0, 20.0]


def test_bad_requests_say_what_to_do(planted: Path) -> None:
    view = view_of(planted)
    entities = pd.DataFrame({"customer_id": [1], "at": [day(1)], "other": [day(2)]})
    with pytest.raises(InputError, match=r"found 2: at, other; name it with timestamp="):
        historical([view], entities, ["customer:spend"])
    with pytest.raises(InputError, match=r"no column 'when' to take times from"):
        historical([view], entities, ["customer:spend"], timestamp="when")
    with pytest.raises(InputError, match=r"no feature 'spnd' \(did you mean 'spend'\?\)"):
        historical([view], entities, ["customer:spnd"], timestamp="at")
    with pytest.raises(NotFoundError, match=r"no feature view 'custmer' \(did you mean"):
        historical([view], entities, ["custmer:spend"], timestamp="at")
    with pytest.raises(InputError, match=r'must be written "view:feature"'):
        historical([view], entities, ["spend"], timestamp="at")
    text_keys = entities.assign(customer_id=["1"])
    with pytest.raises(
        InputError, match=r"holds text in the entity rows but whole numbers in feature view"
    ):
        historical([view], text_keys, ["customer:spend"], timestamp="at")
    with pytest.raises(InputError, match=r"already a column of the entity rows; ask with full"):
        historical([view], entities.assign(spend=1.0), ["customer:spend"], timestamp="at")
    named = historical(
        [view], entities.assign(spend=1.0), ["customer:spend"], timestamp="at", full_names=True
    )
    assert named.table.column("customer__spend").to_pylist() == [10.0]


# -- the join against an obviously correct one -----------------------------------------------


def reference_join(
    source: list[tuple[int, int, int, float]],
    entities: list[tuple[int, int]],
    ttl: int | None,
) -> list[float | None]:
    """For each (key, t): among rows of that key written by t, the latest event, then the
    latest write, if its event is within ttl of t."""
    out: list[float | None] = []
    for key, t in entities:
        known = [r for r in source if r[0] == key and r[1] <= t and max(r[1], r[2]) <= t]
        if not known:
            out.append(None)
            continue
        best = max(known, key=lambda r: (r[1], r[2]))
        out.append(best[3] if ttl is None or best[1] >= t - ttl else None)
    return out


source_rows = st.lists(
    st.tuples(
        st.integers(0, 3),  # key
        st.integers(0, 40),  # event minute
        st.integers(0, 15),  # written this many minutes after the event
    ),
    max_size=40,
    unique_by=lambda r: (r[0], r[1], r[1] + r[2]),
)
entity_rows = st.lists(st.tuples(st.integers(0, 4), st.integers(-5, 60)), min_size=1, max_size=30)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=source_rows, entities=entity_rows, ttl=st.one_of(st.none(), st.integers(1, 30)))
def test_matches_a_slow_obviously_correct_join(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[int, int, int]],
    entities: list[tuple[int, int]],
    ttl: int | None,
) -> None:
    source = [(k, e, e + lag, float(i)) for i, (k, e, lag) in enumerate(rows)]
    _check_against_reference(tmp_path_factory, source, entities, ttl, created=True)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 40)), max_size=40, unique_by=lambda r: r
    ),
    entities=entity_rows,
    ttl=st.one_of(st.none(), st.integers(1, 30)),
)
def test_without_created_times_rows_hold_from_their_event_time(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[int, int]],
    entities: list[tuple[int, int]],
    ttl: int | None,
) -> None:
    source = [(k, e, e, float(i)) for i, (k, e) in enumerate(rows)]
    _check_against_reference(tmp_path_factory, source, entities, ttl, created=False)


def _check_against_reference(
    tmp_path_factory: pytest.TempPathFactory,
    source: list[tuple[int, int, int, float]],
    entities: list[tuple[int, int]],
    ttl: int | None,
    *,
    created: bool,
) -> None:
    minute = dt.timedelta(minutes=1)
    base = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    table = pa.table(
        {
            "customer_id": pa.array([r[0] for r in source], pa.int64()),
            "event_time": pa.array(
                [base + r[1] * minute for r in source], pa.timestamp("us", "UTC")
            ),
            "created_at": pa.array(
                [base + r[2] * minute for r in source], pa.timestamp("us", "UTC")
            ),
            "spend": pa.array([r[3] for r in source], pa.float64()),
            "plan": pa.array(["x"] * len(source), pa.string()),
        }
    )
    folder = tmp_path_factory.mktemp("pit")
    import pyarrow.parquet as pq

    pq.write_table(table, folder / "source.parquet")
    view = FeatureView(
        "customer",
        entities=["customer_id"],
        timestamp="event_time",
        created="created_at" if created else None,
        source=str(folder / "source.parquet"),
        features=[Feature("spend", "float")],
        ttl=f"{ttl}m" if ttl is not None else None,
    )
    frame = pd.DataFrame(
        {
            "customer_id": [k for k, _ in entities],
            "at": [base + t * minute for _, t in entities],
        }
    )
    got = historical([view], frame, ["customer:spend"]).table.column("spend").to_pylist()
    assert got == reference_join(source, entities, ttl)
