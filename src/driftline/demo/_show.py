"""How the story is told on a terminal: steps, sentences, a progress bar, the summary table.

Rendering only: the story hands over plain data (:class:`Month`, the
:class:`Story`), and the sentences come from ``_words``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from driftline.demo import _words
from driftline.demo._year import Month

if TYPE_CHECKING:
    from driftline.demo._result import Story

__all__ = ["Show"]


class Show:
    """The narrator on a Rich console (a file-backed one in tests)."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self.count = 0

    def step(self, title: str, detail: str = "") -> None:
        self.count += 1
        self.console.rule(f"{self.count}. {title}" + (f": {detail}" if detail else ""))

    def say(self, text: str) -> None:
        self.console.print(Text(text))

    @contextlib.contextmanager
    def progress(self, total: int) -> Iterator[_Live]:
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        with bar:
            task = bar.add_task("applications", total=total)
            yield _Live(self.console, bar, task)

    def summary(self, story: Story) -> None:
        table = Table(title="the year, month by month", show_lines=False)
        for column in ("month", "period", "via", "served by", "the monitor saw", "est.", "real"):
            table.add_column(column)
        for m in story.year.months:
            table.add_row(
                str(m.number),
                m.period,
                m.via,
                ", ".join(f"{k} ({n})" for k, n in m.served.items()),
                _words.seen(m),
                _words.share(m.estimated),
                _words.share(m.realized),
            )
        self.console.print(table)
        moments = Table(title="what happened, when, how fast it was noticed")
        moments.add_column("what")
        moments.add_column("when")
        moments.add_column("noticed")
        for what, when, noticed in _words.moments(story):
            moments.add_row(what, when, noticed)
        self.console.print(moments)
        for line in _words.closing(story):
            self.say(line)


class _Live:
    """The progress bar and the line under it of what the monitor sees."""

    def __init__(self, console: Console, bar: Progress, task: object) -> None:
        self.console, self.bar, self.task = console, bar, task

    def progress(self, done: int, note: str) -> None:
        self.bar.update(self.task, completed=done, description=note)  # type: ignore[arg-type]

    def month(self, month: Month) -> None:
        self.console.print(Text(_words.month_line(month)))

    def event(self, text: str) -> None:
        self.console.print(Text(f"    loop: {text}", style="bold"))
