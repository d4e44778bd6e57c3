"""A CSV column gets one type wherever its values fall: first block or last, file or folder."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from driftline.io import open_table, read_frame, read_table

# Arrow's streaming reader types a column from its first block (about 1 MB); these
# files put the value that needs a wider type after 300,000 rows, well past it.
LATE = 300_000
CASES = {
    "whole numbers, then a decimal": (["7"] * LATE + ["2.5"], pa.float64()),
    "empty, then text": ([""] * LATE + ["x"], pa.string()),
    "empty, then a number": ([""] * LATE + ["3"], pa.int64()),
    "whole numbers, then text": (["3"] * LATE + ["many"], pa.string()),
    "whole numbers, then n/a (missing, as in pandas)": (["3"] * LATE + ["n/a"], pa.int64()),
    "1, then true (booleans)": (["1"] * LATE + ["true"], pa.bool_()),
    "2, then true (text)": (["2"] * LATE + ["true"], pa.string()),
    "dates, then a time of day": (["2026-01-02"] * LATE + ["2026-01-02T10:00:00"], None),
    "UTC seconds, then fractions": (
        ["2026-01-02T10:00:00Z"] * LATE + ["2026-01-02T10:00:00.5Z"],
        pa.timestamp("ns", tz="UTC"),
    ),
    "dates, then zoned times": (["2026-01-02"] * LATE + ["2026-01-02T10:00:00Z"], pa.string()),
}


def csv_text(values: list[str]) -> str:
    # A second column keeps the rows of an empty first column from being blank lines.
    return "v,n\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values))


@pytest.mark.parametrize("case", list(CASES))
def test_a_late_value_types_the_column_as_arrow_types_the_whole_file(
    tmp_path: Path, case: str
) -> None:
    values, expected = CASES[case]
    text = csv_text(values)
    path = tmp_path / "late.csv"
    path.write_text(text)
    whole_file = pacsv.read_csv(io.BytesIO(text.encode())).schema.field("v").type
    if expected is not None:
        assert whole_file == expected
    streamed = open_table(path)
    assert streamed.schema.field("v").type == whole_file
    rows = sum(b.num_rows for b in streamed.batches(["v"]))
    table = read_table(path)
    assert table.schema.field("v").type == whole_file
    assert rows == table.num_rows == len(values)


def test_a_folder_is_typed_as_one_long_file(tmp_path: Path) -> None:
    (tmp_path / "days").mkdir()
    (tmp_path / "days" / "1.csv").write_text("id,amount,note\n1,10,\n2,12,\n")
    (tmp_path / "days" / "2.csv").write_text("id,amount,note\n3,12.5,\n")
    (tmp_path / "days" / "3.csv").write_text("id,amount,note\n4,9,late\n")
    for table in (read_table(tmp_path / "days"), open_table(tmp_path / "days").read_all()):
        assert table.schema.types == [pa.int64(), pa.float64(), pa.string()]
        assert table.column("amount").to_pylist() == [10, 12, 12.5, 9]
        assert table.column("note").to_pylist() == [None, None, None, "late"]


def test_text_columns_keep_their_zeros_other_codes_stay_whole_numbers(tmp_path: Path) -> None:
    text = "zip,grade,label\n02139,1,yes\n10001,3,no\n"
    plain, packed = tmp_path / "a.csv", tmp_path / "a.csv.gz"
    plain.write_text(text)
    with gzip.open(packed, "wt") as f:
        f.write(text)
    for path in (plain, packed, str(packed)):
        kept = read_table(path, text=["zip"])
        assert kept.column("zip").to_pylist() == ["02139", "10001"]
        assert kept.column("grade").type == pa.int64()  # integer-coded: stays integers
        assert open_table(path, text=["zip"]).schema == kept.schema
        # Without being told, a zip code looks like a number, in every reader alike.
        assert read_table(path).column("zip").to_pylist() == [2139, 10001]
        assert read_frame(path, text=["zip", "absent"])["zip"].tolist() == ["02139", "10001"]


def test_typed_inputs_keep_their_types_whatever_text_says() -> None:
    table = pa.table({"zip": [2139, 10001]})
    assert read_table(table, text=["zip"]).column("zip").type == pa.int64()


def test_a_file_with_windows_line_ends_and_quotes_reads_like_any_other(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b'name,city\r\n"Smith, J",Paris\r\n"O""Brien",\r\n')
    table = read_table(path)
    assert table.to_pydict() == {"name": ["Smith, J", 'O"Brien'], "city": ["Paris", None]}
