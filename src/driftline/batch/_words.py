"""What a batch run says: its summary, and why it refuses to run.

Each sentence says what was expected, what was found, and what to do, with
its numbers (tests/batch/test_words.py holds each template to them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from driftline.words import plural

if TYPE_CHECKING:
    from driftline.batch._manifest import Job

__all__ = ["changed_job", "summary"]


def summary(
    *,
    ref: str,
    rows: int,
    scored: int,
    rejected: int,
    parts: int,
    resumed: int,
    rate: float,
    output: str,
    nothing_to_do: bool,
) -> str:
    """One sentence on what a run did."""
    if nothing_to_do:
        return (
            f"Nothing to do: this job was finished before ({rows:,} rows in "
            f"{plural(parts, 'partition')}, {scored:,} scored and {rejected:,} rejected, in "
            f"{output}); give a new --output to score again."
        )
    speed = f" at {rate:,.0f} rows/s" if rate > 0 else ""
    kept = (
        f"; {plural(resumed, 'partition')} written by an earlier, interrupted run were kept"
        if resumed
        else ""
    )
    rejects = (
        f"{rejected:,} rows broke {ref}'s signature and were set aside with their reason"
        if rejected
        else "no row was rejected"
    )
    return f"Scored {scored:,} of {rows:,} rows with {ref} into {output}{speed}; {rejects}{kept}."


def changed_job(output: str, before: Job, now: Job) -> str | None:
    """Why ``output`` cannot take this run, if the job it holds is another one."""
    if before.input != now.input:
        return (
            f"the input has changed since the run that wrote {output} started (its fingerprint "
            f"was {before.input[:19]}…, it is now {now.input[:19]}…); resuming would mix "
            f"predictions of two different inputs, so give a new --output to score it afresh"
        )
    if (before.model, before.version) != (now.model, now.version):
        return (
            f"{output} holds a run of {before.model}:{before.version}, but this one scores "
            f"{now.model}:{now.version} (an alias moved since?); give a new --output, or ask for "
            f"{before.model}:{before.version} to finish the earlier run"
        )
    if before.chunk_rows != now.chunk_rows:
        return (
            f"{output} was written in partitions of {before.chunk_rows:,} rows, this run asks "
            f"for {now.chunk_rows:,}; run again with --chunk-rows {before.chunk_rows} to resume "
            f"it, or give a new --output"
        )
    if before.key != now.key:
        return (
            f"{output} was written keyed by {before.key or 'row number'}, this run asks for "
            f"{now.key or 'row number'}; use the same --key to resume it, or give a new --output"
        )
    if before.fmt != now.fmt:  # the format follows the folder's name; a renamed folder
        return (
            f"{output} holds {before.fmt} files but its name asks for {now.fmt}; give the folder "
            f"its old name to resume, or give a new --output"
        )
    return None
