"""Categories counted on dictionary indices: the same profile whatever the encoding of the text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftline.drift import drift
from driftline.io import open_table
from driftline.stats import Profile
from driftline.stats._encoded import EncodedColumn


def _dictionary(indices: list[int | None], values: list[str | None]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int8()), pa.array(values))


def _same(a: Profile, b: Profile) -> None:
    assert a.to_dict() == b.to_dict()


def test_two_sides_with_different_dictionaries_count_by_value() -> None:
    # The same rows, dictionary-encoded in another order on each side, and as plain text.
    reference = pa.table({"c": _dictionary([0, 1, 1, 2, None, 0, 1], ["x", "y", "z"])})
    current = pa.table({"c": _dictionary([2, 1, 0, 0, 3, None, 3], ["w", "y", "x", "q"])})
    ref = Profile.build(reference)
    cur = Profile.build(current, reference=ref)
    col = cur.columns["c"]
    # Reference categories by count: y (3), x (2), z (1); the current has x, y, w twice
    # and q twice (w and q: values the reference never took).
    assert ref.columns["c"].categories == ("y", "x", "z")
    assert col.category_counts.tolist() == [1, 1, 0, 4]
    assert (col.missing, col.unseen) == (1, 4)
    plain_ref = Profile.build(pa.table({"c": reference.column("c").cast(pa.string())}))
    plain_cur = pa.table({"c": current.column("c").cast(pa.string())})
    _same(ref, plain_ref)
    _same(cur, Profile.build(plain_cur, reference=plain_ref))


def test_chunks_with_their_own_dictionaries_and_null_entries() -> None:
    first = _dictionary([0, 1, 2, 2, None], ["a", None, "b"])  # a null value in the dictionary
    second = _dictionary([1, 1, 0, 3], ["c", "a", "unused", "b"])
    column = pa.chunked_array([first, second])
    profile = Profile.build(pa.table({"c": column}), reservoir_size=100)
    col = profile.columns["c"]
    assert col.categories == ("a", "b", "c")
    assert col.category_counts.tolist() == [3, 3, 1, 0]
    assert col.missing == 2  # the null index and the index of the null value
    # The unused dictionary entry is no value of the data: not counted, not known.
    assert col.known is not None and col.known.rows == 7 and len(col.known) == 0
    sample = sorted(profile.reservoir.values["c"], key=lambda v: (v is None, v or ""))
    assert sample == ["a", "a", "a", "b", "b", "b", "c", None, None]


def test_categories_on_one_side_only(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    reference = pd.DataFrame({"c": rng.choice(["a", "b", "c"], 4000)}).astype("category")
    current = pd.DataFrame({"c": rng.choice(["a", "b", "d"], 3000)}).astype("category")
    pq.write_table(pa.Table.from_pandas(reference), tmp_path / "ref.parquet")
    pq.write_table(pa.Table.from_pandas(current), tmp_path / "cur.parquet")
    report = drift(tmp_path / "ref.parquet", tmp_path / "cur.parquet")
    assert report.drifted_columns == ["c"]
    ref = Profile.build(tmp_path / "ref.parquet")
    cur = Profile.build(tmp_path / "cur.parquet", reference=ref)
    col = cur.columns["c"]
    counts = current["c"].value_counts()
    assert col.category_counts.tolist() == [
        *(int(counts.get(c, 0)) for c in ref.columns["c"].categories),
        int(counts["d"]),
    ]
    assert col.unseen == counts["d"]
    # Frames of categories, of Python strings and the Parquet files: one profile.
    as_text = Profile.build(reference.astype(object))
    _same(ref, as_text)
    _same(cur, Profile.build(current.astype(object), reference=as_text))
    _same(cur, Profile.build(current, reference=Profile.build(reference)))


def test_numbers_read_as_categories_match_their_text() -> None:
    reference = Profile.build(pa.table({"c": pa.array(["1", "2", "2", None])}))
    numbers = pa.table({"c": pa.array([2, 2, 3, None, 1])})
    profile = Profile.build(numbers, reference=reference)
    text = Profile.build(
        pa.table({"c": numbers.column("c").cast(pa.string())}), reference=reference
    )
    _same(profile, text)
    assert profile.columns["c"].category_counts.tolist() == [2, 1, 1]


@pytest.mark.parametrize(
    "column",
    [
        pa.array(["b", None, "a", "b"]),
        pa.array([None, None], pa.null()),
        pa.array([True, None, False]),
        _dictionary([], []),
    ],
)
def test_encoded_column_keeps_every_row(column: pa.Array) -> None:
    encoded = EncodedColumn.of(column)
    assert len(encoded) == len(column)
    assert encoded.rows.sum() == len(column)
    assert encoded.rows[-1] == column.null_count
    expected = [None if v is None else str(v).lower() for v in column.to_pylist()]
    assert encoded.take(np.arange(len(column))).tolist() == expected


def test_frames_convert_as_arrow_converts_them() -> None:
    frame = pd.DataFrame(
        {
            "f": [1.5, np.nan, 2.0, -1.0],
            "i": np.array([1, 2, 3, 4], dtype=np.int32),
            "b": [True, False, True, True],
            "c": pd.Categorical(["x", None, "y", "x"]),
            "n": pd.Categorical([3, 1, None, 3], ordered=True),
        }
    )
    ours = open_table(frame).table
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    assert ours is not None and ours.column_names == arrow.column_names
    for name in arrow.column_names:
        assert ours.column(name).to_pylist() == arrow.column(name).to_pylist(), name
        assert ours.column(name).null_count == arrow.column(name).null_count, name
    assert ours.column("n").type.ordered


def test_a_file_that_fits_is_read_once_and_profiled_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import driftline.stats._profile as profile_module

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=5000), "c": rng.choice(["a", "b", "c"], 5000)})
    path = tmp_path / "ref.parquet"
    pq.write_table(pa.Table.from_pandas(frame), path, row_group_size=700)
    reads: list[int] = []
    chunks = profile_module._chunks

    def counted(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        reads.append(1)
        return chunks(*args, **kwargs)

    monkeypatch.setattr(profile_module, "_chunks", counted)
    once = Profile.build(path, chunk_size=1000)
    assert len(reads) == 1
    # Text that Parquet stores as a dictionary has no size before it is read: its chunks
    # are held while they fit in HELD_BYTES.
    monkeypatch.setattr(profile_module, "HELD_BYTES", 10_000)  # too small: read again
    twice = Profile.build(path, chunk_size=1000)
    assert len(reads) == 3
    _same(once, twice)
    # Numbers have their size in the footer: held whole up to HOLD_BYTES.
    numbers = tmp_path / "numbers.parquet"
    pq.write_table(pa.Table.from_pandas(frame[["x"]]), numbers, row_group_size=700)
    once = Profile.build(numbers, chunk_size=1000)
    assert len(reads) == 4
    monkeypatch.setattr(profile_module, "HOLD_BYTES", 39_999)  # 5000 rows x 8 bytes, and nulls
    twice = Profile.build(numbers, chunk_size=1000)
    assert len(reads) == 6
    _same(once, twice)


@pytest.mark.parametrize(("n", "k"), [(100_000, 1000), (5000, 1000), (1001, 1000), (999, 1000)])
def test_reservoir_candidates_are_the_k_smallest_keys(n: int, k: int) -> None:
    from driftline.stats._profile import _smallest

    keys = np.random.default_rng(n).random(n)
    expected = np.sort(np.argsort(keys)[:k])
    np.testing.assert_array_equal(_smallest(keys, k), expected)
    # Keys that crowd above the bound: every key is partitioned, the answer the same.
    skewed = np.sort(keys)[::-1] ** 0.01
    np.testing.assert_array_equal(_smallest(skewed, k), np.sort(np.argsort(skewed)[:k]))
