"""The drift report of a fixed seeded table, pinned: speed work must not move a single verdict.

``pinned_report.json`` holds what ``drift()`` reported on these tables before the
profile's reading and counting were reworked for speed (one read of a file that
fits in memory, fused passes over floats). Every path a table can take is held
to it: DataFrames, Parquet files read once or twice, and files of several row
groups. Regenerate the file only for a change that means to move results:
``python tests/drift/test_drift_pinned.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftline.drift import drift

PINNED = Path(__file__).with_name("pinned_report.json")
ROWS = 120_000  # more than one chunk of 100,000 rows: merging chunks is part of what is pinned


def _table(seed: int, shifted: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = ROWS
    income = rng.lognormal(10.0, 0.6 if not shifted else 0.9, n)
    hours = rng.normal(40.0, 8.0, n)
    with_missing = np.where(rng.random(n) < 0.05, np.nan, rng.normal(50.0, 10.0, n))
    codes = rng.choice(9, n, p=np.arange(1, 10) / 45.0)
    return pd.DataFrame(
        {
            "code": codes.astype(np.int64),  # a category stored as its code: counted
            "age": rng.integers(18, 91, n) + (6 if shifted else 0),  # counted
            "children": rng.poisson(2.2 if shifted else 1.5, n).astype(np.int32),
            "id": rng.integers(0, 1_000_000, n),  # too wide to count: sampled
            "income": income,
            "hours": hours,
            "score": with_missing,
            "uniform": rng.uniform(0.0, 100.0, n),
            "region": rng.choice(["north", "south", "east", "west", "centre"], n),
            "member": rng.random(n) < (0.6 if shifted else 0.4),
        }
    )


def _report(reference: Any, current: Any) -> dict[str, Any]:
    return drift(reference, current).to_dict()


def _assert_same(got: Any, want: Any, where: str = "report") -> None:
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), where
        for key in want:
            _assert_same(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(got, bool):
        # Summed in another order, a statistic may move in its last digits; no more.
        assert isinstance(got, float) and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (
            where,
            got,
            want,
        )
    else:
        assert got == want, (where, got, want)


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return _table(7, False), _table(8, True)


@pytest.fixture(scope="module")
def pinned() -> dict[str, Any]:
    return json.loads(PINNED.read_text())


def test_dataframes_give_the_pinned_report(frames: Any, pinned: dict[str, Any]) -> None:
    _assert_same(_report(*frames), pinned["frames"])


@pytest.mark.parametrize("hold", [64 << 20, 0], ids=["read-once", "read-twice"])
def test_parquet_files_give_the_pinned_report(
    frames: Any, pinned: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hold: int
) -> None:
    import driftline.stats._profile as profile_module

    # Held between its two passes or read again, the reference gives the same report.
    monkeypatch.setattr(profile_module, "HOLD_BYTES", hold)
    monkeypatch.setattr(profile_module, "HELD_BYTES", hold)
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    pq.write_table(pa.Table.from_pandas(frames[0], preserve_index=False), ref)
    pq.write_table(pa.Table.from_pandas(frames[1], preserve_index=False), cur)
    _assert_same(_report(ref, cur), pinned["parquet"])


def test_files_of_many_row_groups_give_the_same_report(
    frames: Any, pinned: dict[str, Any], tmp_path: Path
) -> None:
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    pq.write_table(pa.Table.from_pandas(frames[0], preserve_index=False), ref, row_group_size=7000)
    pq.write_table(pa.Table.from_pandas(frames[1], preserve_index=False), cur, row_group_size=9000)
    _assert_same(_report(ref, cur), pinned["parquet"])


def test_the_pinned_tables_drift_where_they_were_moved(pinned: dict[str, Any]) -> None:
    # What the pinned file says, in words a reader can check against _table.
    drifted = [c["column"] for c in pinned["parquet"]["columns"] if c["drifted"]]
    assert set(drifted) <= {"age", "children", "income", "member"}
    assert drifted
    assert pinned["parquet"]["drift_detected"]


def _write() -> None:  # pragma: no cover - run by hand to regenerate
    import tempfile

    ref_frame, cur_frame = _table(7, False), _table(8, True)
    with tempfile.TemporaryDirectory() as folder:
        ref, cur = Path(folder) / "ref.parquet", Path(folder) / "cur.parquet"
        pq.write_table(pa.Table.from_pandas(ref_frame, preserve_index=False), ref)
        pq.write_table(pa.Table.from_pandas(cur_frame, preserve_index=False), cur)
        pinned = {"frames": _report(ref_frame, cur_frame), "parquet": _report(ref, cur)}
    PINNED.write_text(json.dumps(pinned, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":  # pragma: no cover
    _write()
