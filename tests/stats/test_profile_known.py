"""Known values: the reference's every category as hashes, and the count of values never seen."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftline.stats import KnownValues, Profile
from driftline.stats._known import hash_values

K = 400
WEIGHTS = 1.0 / np.arange(1, K + 1)
WEIGHTS /= WEIGHTS.sum()
LABELS = np.array([f"v{i:04d}" for i in range(2 * K)], dtype=object)


def _zipf(seed: int, n: int, new: float = 0.0, missing: float = 0.0) -> pd.DataFrame:
    """A long-tailed category column; ``new`` of the rows take values outside its K."""
    rng = np.random.default_rng(seed)
    codes = rng.choice(K, n, p=WEIGHTS)
    moved = rng.random(n) < new
    codes[moved] = K + rng.integers(0, K, int(moved.sum()))
    values = LABELS[codes]
    values[rng.random(n) < missing] = None
    return pd.DataFrame({"c": pd.array(values, dtype=object), "x": rng.normal(size=n)})


def test_a_reference_knows_every_value_outside_its_top_categories() -> None:
    frame = _zipf(0, 3000, missing=0.02)
    col = Profile.build(frame, max_categories=20).columns["c"]
    counts = frame["c"].value_counts()
    tail = sorted(set(counts.index) - set(col.categories))
    assert col.known is not None
    np.testing.assert_array_equal(col.known.hashes, np.sort(hash_values(tail)))
    assert col.known.rows == counts.sum() == col.count
    assert col.known.singletons == (counts == 1).sum() > 0
    assert col.known.doubletons == (counts == 2).sum() > 0
    assert col.unseen == 0  # by construction: every value of its own data is known


def test_profile_built_against_itself_is_itself(profiles_close: Callable[..., None]) -> None:
    frame = _zipf(1, 2000)
    ref = Profile.build(frame, max_categories=20, reservoir_size=30)
    again = Profile.build(frame, reference=ref, reservoir_size=30)
    profiles_close(again, ref)


@pytest.mark.parametrize("chunk_size", [37, 100_000])
def test_unseen_counts_the_values_the_reference_never_took(tmp_path: Path, chunk_size: int) -> None:
    reference = _zipf(2, 1500)
    current = _zipf(3, 2500, new=0.1, missing=0.05)
    ref = Profile.build(reference, max_categories=20)
    never = current["c"].notna() & ~current["c"].isin(set(reference["c"]))
    assert 0.1 < never.mean() < 0.5  # new values, and values the reference missed by chance
    path = tmp_path / "current.parquet"
    current.to_parquet(path, row_group_size=300)
    for data in (current, path):
        col = Profile.build(data, reference=ref, chunk_size=chunk_size).columns["c"]
        assert col.unseen == never.sum()
        assert col.other == (current["c"].notna() & ~current["c"].isin(col.categories)).sum()


def test_unseen_count_does_not_depend_on_what_a_build_remembers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reference, current = _zipf(9, 1000), _zipf(10, 3000, new=0.3)
    ref = Profile.build(reference, max_categories=10)
    remembered = Profile.build(current, reference=ref, chunk_size=50).columns["c"].unseen
    monkeypatch.setattr("driftline.stats._known._MEMO_LIMIT", 3)
    forgetful = Profile.build(current, reference=ref, chunk_size=50).columns["c"].unseen
    assert remembered == forgetful == (~current["c"].isin(set(reference["c"]))).sum()


def test_values_that_cannot_all_be_counted_stay_unknown() -> None:
    # Past max(10_000, 100 * max_categories) distinct values the learner prunes its counts.
    many = pd.DataFrame({"id": [f"id{i}" for i in range(10_001)]})
    ref = Profile.build(many, max_categories=1)
    assert ref.columns["id"].known is None
    current = Profile.build(pd.DataFrame({"id": ["id1", "new"]}), reference=ref)
    assert (current.columns["id"].known, current.columns["id"].unseen) == (None, 0)
    assert current.columns["id"].other == 2
    # A stream read once learns its bins from its first chunk: the rest is unknown.
    table = pa.Table.from_pandas(_zipf(4, 500), preserve_index=False)
    stream = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=100))
    assert Profile.build(stream, chunk_size=100).columns["c"].known is None


def test_hashes_are_stable_across_processes_and_versions() -> None:
    # Saved profiles hold these: BLAKE2b-64 of the UTF-8 bytes, little-endian.
    assert [hex(int(h)) for h in hash_values(["", "red", "日本"])] == [
        "0xb4b2797457a0a6e4",
        "0xa3480a2faf17e90d",
        "0x3a9b54e1cf3533e8",
    ]


def _format_1(d: dict) -> dict:
    """What driftline 0.1.0 saved: no known values, no unseen count."""
    columns = [{k: v for k, v in c.items() if k not in ("known", "unseen")} for c in d["columns"]]
    return d | {"format": 1, "columns": columns}


def test_format_1_profile_loads_and_merges_without_the_split(
    profiles_close: Callable[..., None],
) -> None:
    ref = Profile.build(_zipf(5, 1000), max_categories=20)
    saved = json.loads(json.dumps(ref.to_dict()))
    assert saved["format"] == 2
    old = Profile.from_dict(_format_1(saved))
    assert old.columns["c"].known is None
    np.testing.assert_array_equal(
        old.columns["c"].category_counts, ref.columns["c"].category_counts
    )
    current = Profile.build(_zipf(6, 800, new=0.2), reference=ref)
    assert current.columns["c"].unseen > 0
    merged = old.merge(current)
    assert (merged.columns["c"].known, merged.columns["c"].unseen) == (None, 0)
    np.testing.assert_array_equal(
        merged.columns["c"].category_counts,
        ref.columns["c"].category_counts + current.columns["c"].category_counts,
    )
    # Written again it is a format 2 profile that still knows nothing of its values.
    profiles_close(Profile.from_dict(old.to_dict()), old)


def test_known_values_round_trip_through_json() -> None:
    known = Profile.build(_zipf(7, 1000), max_categories=5).columns["c"].known
    assert known is not None and len(known) > 100
    again = KnownValues.from_dict(json.loads(json.dumps(known.to_dict())))
    assert again.same_as(known) and again.hashes.dtype == np.uint64
    assert not again.same_as(replace(known, singletons=known.singletons + 1))
    assert not known.same_as(None)


# -- merge stays associative and commutative when some profiles lack known values -------

REF = Profile.build(_zipf(8, 300), max_categories=5, reservoir_size=5)
values = st.sampled_from([*LABELS[:12], "never-1", "never-2", None])
frames = st.lists(values, max_size=25).map(
    lambda vs: pd.DataFrame({"c": pd.array(vs, dtype=object), "x": np.arange(len(vs), dtype=float)})
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _profile(frame: pd.DataFrame, forget: bool) -> Profile:
    built = Profile.build(frame, reference=REF, reservoir_size=5, chunk_size=7)
    if forget:  # as if read back from format 1
        built.columns["c"] = replace(built.columns["c"], known=None, unseen=0)
    return built


@FAST
@given(st.tuples(frames, st.booleans()), st.tuples(frames, st.booleans()))
def test_merge_with_or_without_known_values_is_commutative(
    profiles_close: Callable[..., None], a: tuple, b: tuple
) -> None:
    pa_, pb = _profile(*a), _profile(*b)
    # reservoir=False: equal rows at equal offsets tie on their sampling keys here.
    profiles_close(pa_.merge(pb), pb.merge(pa_), reservoir=False)


@FAST
@given(*(st.tuples(frames, st.booleans()) for _ in range(3)))
def test_merge_with_or_without_known_values_is_associative(
    profiles_close: Callable[..., None], a: tuple, b: tuple, c: tuple
) -> None:
    pa_, pb, pc_ = _profile(*a), _profile(*b), _profile(*c)
    left, right = pa_.merge(pb).merge(pc_), pa_.merge(pb.merge(pc_))
    profiles_close(left, right, reservoir=False)
    if not (a[1] or b[1] or c[1]):
        frame = pd.concat([a[0], b[0], c[0]], ignore_index=True)
        assert left.columns["c"].unseen == _profile(frame, False).columns["c"].unseen
