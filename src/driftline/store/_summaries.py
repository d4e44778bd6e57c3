"""Summaries of settled days of the log, kept in the database beside the files they sum up.

A reader that sums a day of the log up (the dashboard's traffic: requests,
failures, latency by hour) keeps what it made here, so that after a restart
a year costs one query for 365 small rows instead of reading 365 days of
Parquet. The store does not know what a summary says; it keeps one truth:
each row carries the stamp of the files it was made from (their names,
sizes and versions, from one listing), and a row whose stamp differs from
the day's files now is not an answer. A late segment compacted into the
day, a person forgotten from it, the day pruned: each changes the listing,
so the day is summed up again from its files and the row replaced.

Shared by every host that shares the database and the log store: a summary
made on one host is read by the others, and two hosts making the same day at
once write the same row, one after the other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select

from driftline.store._db import Database
from driftline.store._logstore import LogFile
from driftline.store._schema import LogSummaryRow

__all__ = ["DaySummaries", "day_stamp", "drop_summaries_before"]


def day_stamp(*listed: Mapping[str, LogFile]) -> str:
    """What a day's files are, in 64 hex characters: equal while none is added, removed or
    written again. Pass the day's files of each kind a summary reads, always in one order."""
    digest = hashlib.sha256()
    for i, files in enumerate(listed):
        for segment in sorted(files):
            f = files[segment]
            digest.update(f"{i}\x00{segment}\x00{f.size}\x00{f.version}\n".encode())
    return digest.hexdigest()


class DaySummaries:
    """One kind of summary (``name``) of one model's days in one log store."""

    def __init__(self, db: Database, log: str, model: str, name: str) -> None:
        self.db = db
        self.log = log
        self.model = model
        self.name = name

    def _mine(self) -> Any:
        return (
            (LogSummaryRow.log == self.log)
            & (LogSummaryRow.model == self.model)
            & (LogSummaryRow.name == self.name)
        )

    def read(self, first: str, last: str) -> dict[str, tuple[str, dict[str, Any]]]:
        """The kept summaries of days ``first`` to ``last`` (``YYYY-MM-DD``): day -> (stamp, body)."""
        query = select(LogSummaryRow.day, LogSummaryRow.stamp, LogSummaryRow.body).where(
            self._mine() & (LogSummaryRow.day >= first) & (LogSummaryRow.day <= last)
        )
        with self.db.read() as s:
            return {day: (stamp, body) for day, stamp, body in s.execute(query)}

    def write(
        self, made: Mapping[str, tuple[str, dict[str, Any]]], gone: Iterable[str] = ()
    ) -> None:
        """Keep ``made`` (day -> (stamp, body)), replacing what was kept for those days, and
        forget the days ``gone`` (no files left), in one transaction."""
        days = sorted(set(made) | set(gone))
        if not days:
            return
        now = dt.datetime.now(dt.UTC)
        with self.db.write() as s:
            for i in range(0, len(days), 500):  # bound the size of one statement
                s.execute(
                    delete(LogSummaryRow).where(
                        self._mine() & LogSummaryRow.day.in_(days[i : i + 500])
                    )
                )
            s.add_all(
                LogSummaryRow(
                    log=self.log,
                    model=self.model,
                    name=self.name,
                    day=day,
                    stamp=stamp,
                    body=body,
                    made_at=now,
                )
                for day, (stamp, body) in made.items()
            )


def drop_summaries_before(db: Database, log: str, before: str, model: str | None = None) -> None:
    """Delete the kept summaries of days before ``before`` (of ``model`` only, when given).

    Retention's part: a pruned day keeps no trace, not even its counts.
    """
    where = (LogSummaryRow.log == log) & (LogSummaryRow.day < before)
    if model is not None:
        where &= LogSummaryRow.model == model
    with db.write() as s:
        s.execute(delete(LogSummaryRow).where(where))
