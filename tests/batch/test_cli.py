"""``driftline batch score``: a progress bar on a terminal, quiet elsewhere, one line on error."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from driftline.cli import main
from driftline.cli._batch import BarProgress

Rows = Callable[[int, int], pd.DataFrame]


def test_the_bar_shows_rows_per_second_and_time_left_on_a_terminal() -> None:
    screen = io.StringIO()
    bar = BarProgress(Console(file=screen, force_terminal=True, width=120))
    bar.start(10_000, 2_000)
    for _ in range(4):
        bar.advance(2_000)
    bar.bar.refresh()
    bar.stop()
    text = screen.getvalue()
    assert "scoring" in text and "rows/s" in text and "10000/10000" in text


def test_the_command_is_quiet_off_a_terminal(
    home: Path, tmp_path: Path, shop_rows: Rows, capsys: pytest.CaptureFixture[str]
) -> None:
    shop_rows(1_000, 41).to_csv(tmp_path / "in.csv", index=False)
    code = main(
        [
            "--home",
            str(home),
            "batch",
            "score",
            "shop@champion",
            "--input",
            str(tmp_path / "in.csv"),
            "--output",
            str(tmp_path / "out"),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0 and captured.err == ""
    result = json.loads(captured.out)
    assert (result["scored"], result["partitions"], result["engine"]) == (1_000, 1, "local")
    code = main(
        [
            "--home",
            str(home),
            "batch",
            "score",
            "shop@champion",
            "--input",
            str(tmp_path / "in.csv"),
            "--output",
            str(tmp_path / "out"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0 and captured.out.startswith("Nothing to do: this job was finished before")


def test_a_refusal_is_one_line_and_exit_2(
    home: Path, tmp_path: Path, shop_rows: Rows, capsys: pytest.CaptureFixture[str]
) -> None:
    shop_rows(100, 42).drop(columns="size").to_parquet(tmp_path / "in.parquet")
    code = main(
        [
            "--home",
            str(home),
            "batch",
            "score",
            "shop@champion",
            "--input",
            str(tmp_path / "in.parquet"),
            "--output",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "the input has no column 'size'" in err
    assert not (tmp_path / "out").exists()  # refused before anything was written
