"""What cannot be read says so in one sentence that names the path, with its own error class."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftline.errors import (
    DataNotFoundError,
    DriftlineError,
    InputError,
    MixedSchemaError,
    UnreadableDataError,
)
from driftline.io import open_table, read_table


def missing(tmp: Path) -> Path:
    return tmp / "nowhere.csv"


def empty_folder(tmp: Path) -> Path:
    (tmp / "empty").mkdir()
    (tmp / "empty" / "_SUCCESS").write_text("")
    return tmp / "empty"


def not_parquet(tmp: Path) -> Path:
    (tmp / "bad.parquet").write_text("these are not the bytes of a Parquet file")
    return tmp / "bad.parquet"


def truncated_parquet(tmp: Path) -> Path:
    pq.write_table(pa.table({"x": list(range(1000))}), tmp / "cut.parquet")
    data = (tmp / "cut.parquet").read_bytes()
    (tmp / "cut.parquet").write_bytes(data[: len(data) // 2])
    return tmp / "cut.parquet"


def empty_csv(tmp: Path) -> Path:
    (tmp / "empty.csv").write_text("")
    return tmp / "empty.csv"


def ragged_csv(tmp: Path) -> Path:
    (tmp / "ragged.csv").write_text("a,b\n1,2\n3,4,5\n")
    return tmp / "ragged.csv"


def latin1_csv(tmp: Path) -> Path:
    (tmp / "latin1.csv").write_bytes("city,n\nZürich,1\n".encode("latin-1"))
    return tmp / "latin1.csv"


def broken_gzip(tmp: Path) -> Path:
    (tmp / "broken.csv.gz").write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    return tmp / "broken.csv.gz"


def unknown_suffix(tmp: Path) -> Path:
    (tmp / "data.xlsx").write_bytes(b"PK")
    return tmp / "data.xlsx"


def csv_headers_differ(tmp: Path) -> Path:
    (tmp / "days").mkdir()
    (tmp / "days" / "1.csv").write_text("id,amount\n1,2\n")
    (tmp / "days" / "2.csv").write_text("id,amount,note\n3,4,x\n")
    return tmp / "days"


def parquet_columns_differ(tmp: Path) -> Path:
    (tmp / "days").mkdir()
    pq.write_table(pa.table({"id": [1], "amount": [2]}), tmp / "days" / "1.parquet")
    pq.write_table(pa.table({"id": [3], "total": [4]}), tmp / "days" / "2.parquet")
    return tmp / "days"


def parquet_types_differ(tmp: Path) -> Path:
    (tmp / "days").mkdir()
    pq.write_table(pa.table({"id": [1], "zip": [2139]}), tmp / "days" / "1.parquet")
    pq.write_table(pa.table({"id": [3], "zip": ["02139"]}), tmp / "days" / "2.parquet")
    return tmp / "days"


def formats_mixed(tmp: Path) -> Path:
    (tmp / "days").mkdir()
    pq.write_table(pa.table({"id": [1]}), tmp / "days" / "1.parquet")
    (tmp / "days" / "2.csv").write_text("id\n2\n")
    return tmp / "days"


CASES: dict[str, tuple[Callable[[Path], Path], type[DriftlineError], str]] = {
    "missing file": (missing, DataNotFoundError, "there is no file or folder at"),
    "empty folder": (empty_folder, DataNotFoundError, "holds no data files"),
    "not Parquet": (not_parquet, UnreadableDataError, "as Parquet"),
    "truncated Parquet": (truncated_parquet, UnreadableDataError, "as Parquet"),
    "empty CSV": (empty_csv, UnreadableDataError, "Empty CSV file"),
    "ragged CSV": (ragged_csv, UnreadableDataError, "Expected 2 columns, got 3"),
    "Latin-1 CSV": (latin1_csv, UnreadableDataError, "not UTF-8 text"),
    "broken gzip": (broken_gzip, UnreadableDataError, "as CSV"),
    "unknown format": (unknown_suffix, UnreadableDataError, "format cannot be told"),
    "CSV headers differ": (csv_headers_differ, MixedSchemaError, "1.csv has id, amount"),
    "Parquet columns differ": (parquet_columns_differ, MixedSchemaError, "differ in amount"),
    "Parquet types differ": (
        parquet_types_differ,
        MixedSchemaError,
        "column 'zip': it holds int64 in 1.parquet but string in 2.parquet",
    ),
    "formats mixed": (formats_mixed, MixedSchemaError, "mix Parquet and CSV"),
}


READERS: dict[str, Callable[[Path], object]] = {
    "whole": lambda path: read_table(path, what="the reference"),
    "streamed": lambda path: list(open_table(path, what="the reference").batches()),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("reader", list(READERS))
def test_a_bad_path_gets_one_sentence_naming_it(tmp_path: Path, case: str, reader: str) -> None:
    make, error, phrase = CASES[case]
    path = make(tmp_path)
    with pytest.raises(error) as caught:
        READERS[reader](path)
    message = str(caught.value)
    assert phrase in message
    assert message.startswith("cannot read the reference")
    assert str(path) in message or path.name in message
    assert "\n" not in message and message.count("; ") <= 2
    assert isinstance(caught.value, InputError) and caught.value.path == str(path)


def test_a_folder_widens_numbers_across_parquet_files(tmp_path: Path) -> None:
    (tmp_path / "days").mkdir()
    pd.DataFrame({"amount": [1, 2]}).to_parquet(tmp_path / "days" / "1.parquet")
    pd.DataFrame({"amount": [2.5, None]}).to_parquet(tmp_path / "days" / "2.parquet")
    table = read_table(tmp_path / "days")
    assert table.schema.field("amount").type == pa.float64()
    assert table.column("amount").to_pylist() == [1.0, 2.0, 2.5, None]
