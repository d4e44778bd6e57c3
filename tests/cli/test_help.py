"""Every command's help shows how to call it; --version says which driftline this is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer

import driftline
from driftline.cli import app, main


def commands(command: object = None, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and group of the CLI, as the words that reach it."""
    command = command or typer.main.get_command(app)
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from commands(sub, (*path, name))


ALL = list(commands())


def test_the_walk_reaches_every_command() -> None:
    found = {" ".join(p) for p in ALL}
    assert {"", "models register", "monitor run", "gate", "token revoke", "drift"} <= found
    assert len(ALL) > 25


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "driftline")
def test_help_shows_an_example_of_this_command(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert "Examples:" in out
    called = " ".join(("driftline", *path))
    lines = [line.strip() for line in out.split("Examples:", 1)[1].splitlines() if line.strip()]
    assert lines and all(line.startswith("driftline") for line in lines), lines
    # The example calls this very command (a group's, one of its commands).
    assert any(line.startswith(called) for line in lines), (called, lines)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"driftline {driftline.__version__}\n"
