"""The demo's parts on their own: the world is seeded, the scanner sees through compression,
the closing sentences carry their numbers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from driftline.demo import Story, simulate
from driftline.demo._scan import Found, scan
from driftline.demo._setup import Audit, First
from driftline.demo._words import closing
from driftline.demo._year import Replay


def test_the_world_is_seeded_and_plants_what_it_says() -> None:
    a, b = (
        simulate(rows_per_month=100, train_rows=600),
        simulate(rows_per_month=100, train_rows=600),
    )
    pd.testing.assert_frame_equal(a.train, b.train)
    assert len(a.flipped) == 20 and len(a.months) == 12
    notes = pd.concat(a.months)["note"]
    assert all(notes.str.contains(v, regex=False).sum() == 1 for v in a.planted)
    # The shift moves the applicants; the concept drift does not.
    months = a.months
    assert months[4]["income"].median() < 0.75 * months[3]["income"].median()
    assert abs(months[8]["income"].median() / months[7]["income"].median() - 1) < 0.15


def test_the_scan_finds_a_value_in_plain_bytes_and_in_compressed_parquet(tmp_path: Path) -> None:
    (tmp_path / "log.jsonl").write_text('{"note": "call +1 202 555 0147"}\n')
    # Near-identical values: compression stores the last as references to the first two.
    notes = ["jane.okafor@example.net", "mary.okafor@example.org", "jane.okafor@example.org"]
    pd.DataFrame({"note": notes}).to_parquet(tmp_path / "part.parquet", compression="zstd")
    assert b"jane.okafor@example.org" not in (tmp_path / "part.parquet").read_bytes()
    found = scan(tmp_path, ["+1 202 555 0147", "jane.okafor@example.org", "nobody@example.com"])
    assert found == [
        Found("+1 202 555 0147", ("log.jsonl",)),
        Found("jane.okafor@example.org", ("part.parquet",)),
        Found("nobody@example.com", ()),
    ]


def _story(tmp_path: Path, planted: list[Found]) -> Story:
    first = First(1, 1, [], "", "", True)
    return Story(
        tmp_path,
        "http://127.0.0.1:1",
        3,
        first,
        Audit("no finding", True, 0, 0, 0, 1000),
        "http://127.0.0.1:1/ui",
        Replay([]),
        planted,
        True,
        "The audit record is intact.",
        seconds=61.4,
    )


def test_the_closing_lines_say_where_planted_values_were_found(tmp_path: Path) -> None:
    clean = _story(tmp_path, [Found("a@example.org", ()), Found("+1 202 555 0147", ())])
    assert closing(clean)[0] == (
        f"none of the 2 personal values planted in the notes is anywhere on disk under {tmp_path}"
    )
    leaky = dataclasses.replace(clean, planted=[Found("a@example.org", ("log/seg.open",))])
    assert closing(leaky)[0] == (
        "1 of the 1 personal values planted in the notes are on disk, in 1 file (e.g. log/seg.open)"
    )
    assert closing(leaky)[-1].startswith(f"told in 61 s; the workspace stays in {tmp_path}")
