"""Every form a table comes in reads as the same Arrow table, streamed or whole."""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from driftline.io import TableSource, open_table, read_frame, read_table
from driftline.stats import kind_of

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def frame() -> pd.DataFrame:
    """Every kind of column a profile knows, with gaps, as a CSV writes and reads it back."""
    rng = np.random.default_rng(7)
    n = 300
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": np.round(rng.normal(50_000, 9_000, n), 2),
            "region": rng.choice(["north", "south", "west"], n),
            "active": rng.random(n) < 0.4,
            "seen": [T0 + dt.timedelta(hours=int(h)) for h in rng.integers(0, 2_000, n)],
        }
    )
    frame.loc[::17, "income"] = np.nan
    frame.loc[::23, "region"] = None
    return frame


EXPECTED_KINDS = {
    "age": "numeric",
    "income": "numeric",
    "region": "categorical",
    "active": "boolean",
    "seen": "datetime",
}


def write_csv(df: pd.DataFrame, path: Path, sep: str = ",") -> Path:
    text = df.to_csv(index=False, sep=sep, date_format="%Y-%m-%dT%H:%M:%SZ")
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    return path


def parts(df: pd.DataFrame) -> list[pd.DataFrame]:
    return [df.iloc[:100], df.iloc[100:220], df.iloc[220:]]


def folder(tmp: Path, name: str, write: Callable[[pd.DataFrame, Path], Any], suffix: str) -> Path:
    root = tmp / name
    (root / "part-2").mkdir(parents=True)
    for i, part in enumerate(parts(frame())):
        # Files at any depth belong to the table, in the order of their paths; "_" and "."
        # names are not data.
        write(part, root / (f"part-{i}{suffix}" if i < 2 else f"part-2/rows{suffix}"))
    (root / "_SUCCESS").write_text("")
    (root / ".part-0.crc").write_text("x")
    return root


FORMS: dict[str, Callable[[Path], Any]] = {
    "pandas": lambda tmp: frame(),
    "polars": lambda tmp: pl.from_pandas(frame()),
    "arrow table": lambda tmp: pa.Table.from_pandas(frame(), preserve_index=False),
    "record batch": lambda tmp: pa.RecordBatch.from_pandas(frame(), preserve_index=False),
    "record batch reader": lambda tmp: pa.Table.from_pandas(
        frame(), preserve_index=False
    ).to_reader(max_chunksize=64),
    "csv": lambda tmp: write_csv(frame(), tmp / "t.csv"),
    "csv.gz": lambda tmp: write_csv(frame(), tmp / "t.csv.gz"),
    "tsv": lambda tmp: write_csv(frame(), tmp / "t.tsv", sep="\t"),
    "parquet": lambda tmp: (
        frame().to_parquet(tmp / "t.parquet", row_group_size=70) or tmp / "t.parquet"
    ),
    "folder of csv": lambda tmp: folder(tmp, "csvs", write_csv, ".csv"),
    "folder of csv.gz": lambda tmp: folder(tmp, "gzs", write_csv, ".csv.gz"),
    "folder of parquet": lambda tmp: folder(
        tmp, "pqs", lambda df, p: df.to_parquet(p, index=False), ".parquet"
    ),
    "path as text": lambda tmp: str(write_csv(frame(), tmp / "text.csv")),
}


def same_values(table: pa.Table) -> None:
    expected = frame()
    assert table.column_names == list(expected.columns)
    assert {c: kind_of(c, table.schema.field(c).type) for c in table.column_names} == (
        EXPECTED_KINDS
    )
    got = table.to_pandas()
    assert got["age"].tolist() == expected["age"].tolist()
    np.testing.assert_allclose(got["income"], expected["income"])  # NaN where NaN
    assert got["region"].tolist() == expected["region"].tolist()
    assert got["active"].tolist() == expected["active"].tolist()
    assert list(pd.to_datetime(got["seen"], utc=True)) == list(expected["seen"])


@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_reads_as_the_same_table(tmp_path: Path, form: str) -> None:
    same_values(read_table(FORMS[form](tmp_path)))


@pytest.mark.parametrize("form", list(FORMS))
def test_streamed_batches_are_the_whole_table(tmp_path: Path, form: str) -> None:
    source = open_table(FORMS[form](tmp_path))
    batches = list(source.batches())
    same_values(pa.Table.from_batches(batches, schema=source.schema))
    in_memory = ("pandas", "polars", "arrow table", "record batch")
    expected = (
        "stream" if form == "record batch reader" else "memory" if form in in_memory else "file"
    )
    assert source.access == expected
    if source.access == "file":
        # A file is read in batches, and can be read again (a profile's two passes).
        again = pa.Table.from_batches(list(source.batches(["age"])))
        assert again.column_names == ["age"] and again.num_rows == 300


def test_a_stream_is_read_once(tmp_path: Path) -> None:
    source = open_table(pa.table({"x": [1, 2]}).to_reader())
    assert source.read_all().num_rows == 2
    with pytest.raises(ValueError, match="can be read only once"):
        list(source.batches())


def test_read_frame_keeps_a_pandas_frame_as_it_is(tmp_path: Path) -> None:
    df = frame().astype({"age": "int32", "region": "category"})
    assert read_frame(df) is df
    from_csv = read_frame(FORMS["csv"](tmp_path))
    assert isinstance(from_csv, pd.DataFrame) and len(from_csv) == 300
    assert str(from_csv["age"].dtype) == "int64"
    assert pd.api.types.is_string_dtype(from_csv["region"])


def test_numpy_arrays_name_their_columns() -> None:
    matrix = np.arange(12, dtype=float).reshape(4, 3)
    table = read_table(matrix)
    assert table.column_names == ["x0", "x1", "x2"] and table.column("x2").to_pylist()[-1] == 11
    records = np.array([(1, 2.5), (2, 3.5)], dtype=[("id", "i8"), ("score", "f8")])
    assert read_table(records).to_pydict() == {"id": [1, 2], "score": [2.5, 3.5]}
    with pytest.raises(ValueError, match=r"must be 2-D \(rows x columns\), got 1-D"):
        read_table(np.arange(3), what="the reference")


def test_what_cannot_be_a_table_is_named() -> None:
    with pytest.raises(ValueError, match=r"the reference must be a pandas or polars.*got dict"):
        read_table({"x": [1]}, what="the reference")


def test_a_file_source_can_be_filtered_lazily(tmp_path: Path) -> None:
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    source: TableSource = open_table(FORMS["folder of parquet"](tmp_path))
    dataset = source.to_dataset()
    assert isinstance(dataset, ds.FileSystemDataset)
    old = dataset.to_table(filter=ds.field("age") >= 80)
    assert old.num_rows == int((frame()["age"] >= 80).sum())
    assert pc.min(old.column("age")).as_py() >= 80
