"""The log store's one-listing view of a model's files, day stamps, and summaries kept in the database."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from driftline import Workspace
from driftline.store import DaySummaries, LogStore, day_stamp


def _parquet(values: list[int]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"x": values}), buffer)
    return buffer.getvalue()


def test_one_listing_names_every_day_and_file(tmp_path: Path) -> None:
    store = LogStore(str(tmp_path / "log"))
    for day, segment in [("2026-01-01", "a"), ("2026-01-01", "b"), ("2026-01-03", "a")]:
        store.publish(
            f"{store.partition('predictions', 'm', day)}/{segment}.parquet", _parquet([1])
        )
    store.publish(
        f"{store.partition('predictions', 'other', '2026-01-02')}/a.parquet", _parquet([1])
    )
    # A write cut short leaves a temporary file: not a file of the log.
    folder = Path(store.path(store.partition("predictions", "m", "2026-01-03")))
    (folder / "c.parquet.tmp-0001").write_bytes(b"half")
    listed = store.listing("predictions", "m")
    assert sorted(listed) == store.days("predictions", "m") == ["2026-01-01", "2026-01-03"]
    for day, files in listed.items():
        assert {s: f.path for s, f in files.items()} == store.files("predictions", "m", day)
    assert store.listing("predictions", "nobody") == {} == store.listing("labels", "m")


def test_a_day_stamp_changes_with_any_file_of_the_day(tmp_path: Path) -> None:
    store = LogStore(str(tmp_path / "log"))
    key = f"{store.partition('predictions', 'm', '2026-01-01')}/a.parquet"
    store.publish(key, _parquet([1, 2, 3]))

    def stamp() -> str:
        listed = store.listing("predictions", "m").get("2026-01-01", {})
        return day_stamp(listed, store.listing("failures", "m").get("2026-01-01", {}))

    first = stamp()
    assert stamp() == first  # nothing changed
    # Written again under its name with as many bytes (a person forgotten, say).
    store.publish(key, _parquet([1, 2, 4]))
    assert len(_parquet([1, 2, 4])) == len(_parquet([1, 2, 3]))
    rewritten = stamp()
    assert rewritten != first
    # A file of another kind on that day (a failure compacted late).
    store.publish(f"{store.partition('failures', 'm', '2026-01-01')}/b.parquet", _parquet([1]))
    assert stamp() not in (first, rewritten)
    # Kinds keep their place: the same files as the other kind make another stamp.
    one = store.listing("predictions", "m")["2026-01-01"]
    assert day_stamp(one, {}) != day_stamp({}, one)


def test_summaries_are_kept_replaced_and_forgotten(workspace: Workspace) -> None:
    kept = DaySummaries(workspace.db, "file:///log", "m", "traffic")
    other = DaySummaries(workspace.db, "s3://elsewhere/log", "m", "traffic")
    kept.write({"2026-01-01": ("s1", {"n": 1}), "2026-01-02": ("s2", {"n": [1.5, None]})})
    other.write({"2026-01-01": ("x", {"n": 9})})
    assert kept.read("2026-01-01", "2026-01-31") == {
        "2026-01-01": ("s1", {"n": 1}),
        "2026-01-02": ("s2", {"n": [1.5, None]}),
    }
    assert kept.read("2026-01-02", "2026-01-02") == {"2026-01-02": ("s2", {"n": [1.5, None]})}
    kept.write({"2026-01-01": ("s1b", {"n": 2})}, gone=["2026-01-02"])
    assert kept.read("0000", "9999") == {"2026-01-01": ("s1b", {"n": 2})}
    assert other.read("0000", "9999") == {"2026-01-01": ("x", {"n": 9})}  # another log's own
    reopened = Workspace.open(
        workspace.home, create=False, database_url=workspace.settings.database_url
    )
    try:
        again = DaySummaries(reopened.db, "file:///log", "m", "traffic")
        assert again.read("0000", "9999") == {"2026-01-01": ("s1b", {"n": 2})}
    finally:
        reopened.close()
