"""A crash file keeps the traceback and loses the personal values its message quoted."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from driftline.cli._errors import report_bug


def test_a_crash_file_is_redacted_by_the_workspaces_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "ws"
    home.mkdir()
    (home / "driftline.toml").write_text('[privacy]\nregion = "GB"\n')
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    try:
        raise ValueError("could not score ann@example.org, card 4111 1111 1111 1111, 020 7946 0018")
    except ValueError as exc:
        report_bug(exc, ["--home", str(home), "monitor", "churn"])
    capsys.readouterr()
    (crash,) = (home / "crashes").glob("crash-*.txt")
    saved = crash.read_text()
    assert "ValueError: could not score [EMAIL], card [CARD], [PHONE]" in saved
    assert "Traceback (most recent call last)" in saved and "ann@example.org" not in saved
