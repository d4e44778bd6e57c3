"""A file is streamed in bounded memory, however large; only whole reads hold every row."""

from __future__ import annotations

import gzip
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from driftline.io import open_table, read_table


def csv_block(rows: int) -> str:
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 10**9, rows)
    amounts = np.round(rng.normal(100, 30, rows), 3)
    regions = rng.choice(["north", "south", "east", "west"], rows)
    return "".join(f"{i},{a},{r}\n" for i, a, r in zip(ids, amounts, regions, strict=True))


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 60 MB of CSV: several times what streaming may hold at once."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    block = csv_block(50_000)
    with path.open("w") as f:
        f.write("id,amount,region\n")
        for _ in range(40):
            f.write(block)
    return path


def peak_while(batches: Iterator[pa.RecordBatch]) -> tuple[int, int]:
    """The most Arrow memory held while the batches were read, and how many rows there were."""
    start = pa.total_allocated_bytes()
    peak, rows = 0, 0
    for batch in batches:
        rows += batch.num_rows
        peak = max(peak, pa.total_allocated_bytes() - start)
    return peak, rows


def test_streaming_a_large_csv_holds_a_few_blocks(big_csv: Path) -> None:
    whole = read_table(big_csv)
    table_bytes, n = whole.nbytes, whole.num_rows
    del whole
    source = open_table(big_csv)  # the pass that settles the types streams too
    peak, rows = peak_while(source.batches())
    assert rows == n == 2_000_000
    assert peak < table_bytes / 3, (peak, table_bytes)


def test_streaming_a_compressed_csv_too(big_csv: Path, tmp_path: Path) -> None:
    packed = tmp_path / "big.csv.gz"
    with big_csv.open("rb") as src, gzip.open(packed, "wb", compresslevel=1) as dst:
        dst.write(src.read())
    peak, rows = peak_while(open_table(packed).batches(["amount"]))
    assert rows == 2_000_000 and peak < 20e6


def profile_peak(path: Path, hold: int = 1 << 20) -> int:
    """The most Arrow memory a profile of ``path`` held, in a fresh process.

    Files whose footers say they take at most ``hold`` bytes are held whole
    between the two passes (read once); the default holds none of these.
    """
    code = (
        "import sys, pyarrow as pa; from driftline.stats import Profile; "
        "import driftline.stats._profile as m; m.HOLD_BYTES = int(sys.argv[2]); "
        "p = Profile.build(sys.argv[1], chunk_size=50_000, reservoir_size=100); "
        "kinds = {n: c.kind for n, c in p.columns.items()}; "
        "assert kinds.get('region', 'categorical') == 'categorical', kinds; "
        "print(pa.default_memory_pool().max_memory())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(hold)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_profile_reads_in_chunks(big_csv: Path, tmp_path: Path, fmt: str) -> None:
    whole = read_table(big_csv)
    quarter = whole.slice(0, whole.num_rows // 4)
    paths = [tmp_path / f"quarter.{fmt}", tmp_path / f"whole.{fmt}"]
    for table, path in zip((quarter, whole), paths, strict=True):
        if fmt == "csv":
            pacsv.write_csv(table, path)
        else:
            pq.write_table(table, path, row_group_size=100_000)
    small, large = profile_peak(paths[0]), profile_peak(paths[1])
    # Four times the rows, about the same memory: chunks, not the file, are held.
    assert large < 1.5 * small, (small, large)
    assert large < whole.nbytes / 2, (large, whole.nbytes)


def test_a_parquet_file_within_the_budget_is_held_and_one_beyond_is_not(
    big_csv: Path, tmp_path: Path
) -> None:
    whole = read_table(big_csv).select(["id", "amount"])
    path = tmp_path / "numbers.parquet"
    pq.write_table(whole, path, row_group_size=100_000)
    size = open_table(path).arrow_bytes()
    assert size is not None and whole.nbytes <= size < 1.1 * whole.nbytes, (size, whole.nbytes)
    held, streamed = profile_peak(path, hold=size), profile_peak(path, hold=size - 1)
    # Held: every chunk at once, about the table; one byte over the budget: a few chunks.
    assert held > whole.nbytes * 0.8, (held, whole.nbytes)
    assert streamed < whole.nbytes / 2, (streamed, whole.nbytes)


def test_text_stored_as_a_dictionary_has_no_size_before_it_is_read(
    big_csv: Path, tmp_path: Path
) -> None:
    # Parquet keeps 2 million rows of four regions in kilobytes; as Arrow strings they
    # take 18 MB: the footer cannot bound them, so the file is not held on its word.
    table = read_table(big_csv).slice(0, 200_000)
    pq.write_table(table, tmp_path / "text.parquet")
    pq.write_table(table, tmp_path / "plain.parquet", use_dictionary=False)
    assert open_table(tmp_path / "text.parquet").arrow_bytes() is None
    assert open_table(tmp_path / "text.parquet").arrow_bytes(["id", "amount"]) == 3_250_000
    plain = open_table(tmp_path / "plain.parquet").arrow_bytes()
    assert plain is not None and table.nbytes <= plain < 1.2 * table.nbytes, (plain, table.nbytes)
    categories = table.set_column(2, "region", table.column("region").dictionary_encode())
    pq.write_table(categories, tmp_path / "categories.parquet")
    coded = open_table(tmp_path / "categories.parquet").arrow_bytes()
    assert coded is not None and categories.nbytes <= coded < 1.2 * categories.nbytes
    assert open_table(big_csv).arrow_bytes() is None
    assert open_table(table).arrow_bytes() == table.nbytes
