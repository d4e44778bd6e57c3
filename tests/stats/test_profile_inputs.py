"""Every kind of input gives the same profile; chunked file builds equal in-memory ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats as sps

from driftline.errors import InputError, SchemaError
from driftline.stats import Profile


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(10.0, 2.0, n)
    x[rng.random(n) < 0.05] = np.nan
    colour = rng.choice(
        np.array(["red", "green", "blue", "cyan", "teal"]), n, p=[0.4, 0.3, 0.2, 0.05, 0.05]
    )
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.integers(0, 20, n),
            "colour": pd.array(np.where(rng.random(n) < 0.03, None, colour), dtype=object),
            "flag": rng.random(n) < 0.3,
            "when": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s"),
        }
    )


OPTIONS = {"bins": 8, "max_categories": 4, "reservoir_size": 50, "chunk_size": 64}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return _frame(1000)


@pytest.fixture(scope="module")
def expected(frame: pd.DataFrame) -> Profile:
    return Profile.build(frame, **OPTIONS)


def test_profile_statistics_match_numpy_and_scipy(frame: pd.DataFrame, expected: Profile) -> None:
    x = frame["x"].dropna().to_numpy()
    col = expected.columns["x"]
    assert col.missing == frame["x"].isna().sum()
    assert col.count == x.size
    assert col.mean == pytest.approx(x.mean(), rel=1e-12)
    assert col.variance == pytest.approx(x.var(ddof=1), rel=1e-10)
    assert col.moments.skewness == pytest.approx(sps.skew(x), rel=1e-8)
    assert col.moments.kurtosis == pytest.approx(sps.kurtosis(x), rel=1e-8)
    assert (col.min, col.max) == (x.min(), x.max())
    assert col.histogram.sum() == x.size
    assert len(col.histogram) == len(col.edges) + 1 == 8
    colour = expected.columns["colour"]
    assert colour.categories == ("red", "green", "blue", "cyan")  # top 4; "teal" is other
    assert colour.other == (frame["colour"] == "teal").sum()
    assert colour.missing == frame["colour"].isna().sum()
    flag = expected.columns["flag"]
    assert flag.categories == ("false", "true")
    assert flag.category_counts[1] == frame["flag"].sum()
    when = expected.columns["when"]
    epoch = (frame["when"] - pd.Timestamp("1970-01-01")).dt.total_seconds()
    assert when.kind == "datetime"
    assert when.mean == pytest.approx(epoch.mean(), rel=1e-12)
    assert expected.n_rows == 1000
    assert len(expected.reservoir) == 50


def _inputs(frame: pd.DataFrame, tmp: Path) -> dict[str, object]:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    frame.to_parquet(tmp / "data.parquet", row_group_size=97)
    frame.to_csv(tmp / "data.csv", index=False)
    polars = pytest.importorskip("polars")
    return {
        "arrow table": table,
        "record batch reader": pa.RecordBatchReader.from_batches(
            table.schema, table.to_batches(max_chunksize=33)
        ),
        "polars": polars.from_pandas(frame),
        "parquet path": str(tmp / "data.parquet"),
        "csv path": tmp / "data.csv",
    }


@pytest.mark.parametrize(
    "kind", ["arrow table", "record batch reader", "polars", "parquet path", "csv path"]
)
def test_every_input_kind_gives_the_same_profile(
    profiles_close: Callable[..., None], tmp_path: Path, kind: str
) -> None:
    # One chunk, so that a one-pass reader learns its bins from all the data too.
    frame = _frame(300, seed=1)
    data = _inputs(frame, tmp_path)[kind]
    options = {**OPTIONS, "chunk_size": 1000}
    profiles_close(Profile.build(data, **options), Profile.build(frame, **options))


def test_numpy_array_gives_the_profile_of_its_columns(profiles_close: Callable[..., None]) -> None:
    values = np.random.default_rng(3).normal(size=(500, 3))
    frame = pd.DataFrame(values, columns=["x0", "x1", "x2"])
    profiles_close(Profile.build(values, **OPTIONS), Profile.build(frame, **OPTIONS))


def test_chunked_parquet_build_equals_in_memory_build(
    profiles_close: Callable[..., None], tmp_path: Path
) -> None:
    frame = _frame(120_000, seed=2)
    path = tmp_path / "many.parquet"
    frame.to_parquet(path, row_group_size=25_000)
    options = {"reservoir_size": 500, "chunk_size": 7_000}
    from_file = Profile.build(path, **options)
    in_memory = Profile.build(frame, **options)
    profiles_close(from_file, in_memory)
    # And against a reference: a file read in chunks matches the table in memory too.
    profiles_close(
        Profile.build(path, reference=in_memory, **options),
        Profile.build(frame, reference=in_memory, **options),
    )


def test_reference_fixes_bins_and_kinds_of_a_csv(tmp_path: Path) -> None:
    ref = Profile.build(pd.DataFrame({"zip": ["02134", "10001", "02134"], "v": [1.0, 2.0, 3.0]}))
    path = tmp_path / "zips.csv"
    path.write_text("zip,v\n02134,1\n94110,2\n")
    current = Profile.build(path, reference=ref)
    assert current.columns["zip"].categories == ("02134", "10001")
    assert current.columns["zip"].category_counts.tolist() == [1, 0, 1]
    assert current.columns["v"].edges == ref.columns["v"].edges


def test_to_dict_round_trips_through_json(
    profiles_close: Callable[..., None], expected: Profile
) -> None:
    d = expected.to_dict()
    text = json.dumps(d, allow_nan=False)
    again = Profile.from_dict(json.loads(text))
    profiles_close(again, expected)
    assert again.to_dict() == d
    assert d["format"] == 2
    assert "driftline" not in text  # no import paths in saved data
    # A profile read back still merges with freshly built ones.
    assert again.merge(expected).n_rows == 2 * expected.n_rows


def test_from_dict_refuses_unknown_format(expected: Profile) -> None:
    d = expected.to_dict() | {"format": 99}
    with pytest.raises(InputError, match=r"format 1 or 2, got 99.*upgrade driftline"):
        Profile.from_dict(d)
    with pytest.raises(InputError, match=r"format 1 or 2, got None.*rebuild"):
        Profile.from_dict(expected.to_dict() | {"format": None})


def test_bad_inputs_say_what_to_do(frame: pd.DataFrame, expected: Profile, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="DataFrame"):
        Profile.build([1, 2, 3])
    with pytest.raises(InputError, match="2-D"):
        Profile.build(np.arange(5))
    with pytest.raises(InputError, match="no file"):
        Profile.build(tmp_path / "absent.parquet")
    (tmp_path / "data.txt").write_text("x\n1\n")
    with pytest.raises(InputError, match="format"):
        Profile.build(tmp_path / "data.txt")
    with pytest.raises(SchemaError, match="no columns \\['x'\\]"):
        Profile.build(frame.drop(columns="x"), reference=expected)
    with pytest.raises(SchemaError, match="not in the reference"):
        Profile.build(frame.assign(y=1), reference=expected, columns=["y"])
    with pytest.raises(SchemaError, match="must hold numeric"):
        Profile.build(frame.assign(x="a"), reference=expected)
    with pytest.raises(InputError, match="bins must be"):
        Profile.build(frame, bins=0)
    with pytest.raises(InputError, match="list of names"):
        Profile.build(frame, columns="x")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="type list"):
        Profile.build(pa.table({"l": [[1], [2]]}))


def test_missing_and_infinite_values_count_as_missing() -> None:
    frame = pd.DataFrame({"x": [1.0, np.inf, -np.inf, np.nan, 3.0], "s": ["a", None, "b", "a", ""]})
    profile = Profile.build(frame)
    assert profile.columns["x"].missing == 3
    assert profile.columns["x"].mean == 2.0
    assert profile.columns["s"].missing == 1
    assert profile.columns["s"].count == 4
    assert profile.sample("s").tolist().count(None) == 0


def test_empty_table_gives_empty_profile() -> None:
    profile = Profile.build(pd.DataFrame({"x": pd.Series([], dtype=float)}))
    assert profile.n_rows == 0
    assert profile.columns["x"].count == 0
    assert len(profile.reservoir) == 0
    assert Profile.from_dict(profile.to_dict()).n_rows == 0


def test_file_larger_than_the_edge_sample_gets_edges_from_a_uniform_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("driftline.stats._bins.EDGE_SAMPLE_SIZE", 2_000)
    values = np.random.default_rng(5).exponential(size=50_000)
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"v": values}), path)
    edges = np.array(Profile.build(path, chunk_size=4_000).columns["v"].edges)
    exact = np.quantile(values, np.linspace(0, 1, 11)[1:-1])
    # A sample of 2,000 puts each decile within a few percentiles of the truth.
    ecdf = np.searchsorted(np.sort(values), edges) / values.size
    np.testing.assert_allclose(ecdf, np.linspace(0.1, 0.9, 9), atol=0.04)
    assert not np.allclose(edges, exact, rtol=1e-12)


def test_docstring_examples_run() -> None:
    import doctest

    import driftline.stats._profile

    result = doctest.testmod(driftline.stats._profile, raise_on_error=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_awkward_but_common_columns() -> None:
    ns = pd.Series(
        pd.to_datetime(["2024-01-01 00:00:00.000000001", "2024-06-01", None], format="ISO8601")
    )
    frame = pd.DataFrame(
        {
            "ns": ns.astype("datetime64[ns]"),
            "utc": ns.dt.tz_localize("UTC"),
            "big": np.array([2**62, 2**62 + 1, 7], dtype=np.int64),
            "cat": pd.Categorical([3, 1, 3]),
            "day": pd.Series(
                [pd.Timestamp("2024-01-02").date(), None, pd.Timestamp("1970-01-01").date()]
            ),
        }
    )
    profile = Profile.build(frame)
    kinds = {name: col.kind for name, col in profile.columns.items()}
    assert kinds == {
        "ns": "datetime",
        "utc": "datetime",
        "big": "numeric",
        "cat": "categorical",
        "day": "datetime",
    }
    assert profile.columns["ns"].min == pytest.approx(1704067200.0)
    assert profile.columns["ns"].missing == 1
    assert profile.columns["utc"].mean == profile.columns["ns"].mean
    assert profile.columns["big"].max == pytest.approx(2.0**62)
    assert profile.columns["cat"].categories == ("3", "1")
    assert profile.columns["day"].max == 1704153600.0


def test_a_mixed_object_column_says_how_to_fix_it() -> None:
    with pytest.raises(InputError, match="astype\\(str\\)"):
        Profile.build(pd.DataFrame({"mixed": [1, "two", 3.0]}))
