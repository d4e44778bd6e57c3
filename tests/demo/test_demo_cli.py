"""``driftline demo`` on the command line: what it refuses, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from driftline.cli import main


def test_a_folder_that_is_no_demo_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    assert main(["demo", "--home", str(tmp_path), "--fast", "--no-wait"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is not empty and holds no earlier demo" in err
    assert (tmp_path / "mine.txt").read_text() == "keep me"
