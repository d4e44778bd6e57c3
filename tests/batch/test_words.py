"""Each sentence of a batch run, with its numbers."""

from __future__ import annotations

from driftline.batch._manifest import Job
from driftline.batch._words import changed_job, summary

JOB = Job("churn", 3, "sha256:" + "a" * 64, 100_000, None, "parquet")


def test_summary_of_a_run() -> None:
    text = summary(
        ref="churn:3",
        rows=1_000_000,
        scored=999_990,
        rejected=10,
        parts=10,
        resumed=4,
        rate=250_000.4,
        output="scores",
        nothing_to_do=False,
    )
    assert text == (
        "Scored 999,990 of 1,000,000 rows with churn:3 into scores at 250,000 rows/s; 10 rows "
        "broke churn:3's signature and were set aside with their reason; 4 partitions written "
        "by an earlier, interrupted run were kept."
    )


def test_summary_of_a_clean_run_and_of_nothing_to_do() -> None:
    clean = summary(
        ref="churn:3",
        rows=5,
        scored=5,
        rejected=0,
        parts=1,
        resumed=0,
        rate=0.0,
        output="scores",
        nothing_to_do=False,
    )
    assert clean == "Scored 5 of 5 rows with churn:3 into scores; no row was rejected."
    done = summary(
        ref="churn:3",
        rows=2_000,
        scored=1_999,
        rejected=1,
        parts=1,
        resumed=1,
        rate=0.0,
        output="scores",
        nothing_to_do=True,
    )
    assert done == (
        "Nothing to do: this job was finished before (2,000 rows in 1 partition, 1,999 scored "
        "and 1 rejected, in scores); give a new --output to score again."
    )


def test_why_a_folder_of_another_job_is_refused() -> None:
    assert changed_job("scores", JOB, JOB) is None
    moved = Job("churn", 4, JOB.input, 100_000, None, "parquet")
    assert changed_job("scores", JOB, moved) == (
        "scores holds a run of churn:3, but this one scores churn:4 (an alias moved since?); "
        "give a new --output, or ask for churn:3 to finish the earlier run"
    )
    other = Job("churn", 3, "sha256:" + "b" * 64, 100_000, None, "parquet")
    assert changed_job("scores", JOB, other) == (
        "the input has changed since the run that wrote scores started (its fingerprint was "
        "sha256:aaaaaaaaaaaa…, it is now sha256:bbbbbbbbbbbb…); resuming would mix predictions "
        "of two different inputs, so give a new --output to score it afresh"
    )
    keyed = Job("churn", 3, JOB.input, 100_000, "id", "parquet")
    assert changed_job("scores", JOB, keyed) == (
        "scores was written keyed by row number, this run asks for id; use the same --key to "
        "resume it, or give a new --output"
    )
    csv = Job("churn", 3, JOB.input, 100_000, None, "csv")
    assert changed_job("scores", JOB, csv) == (
        "scores holds parquet files but its name asks for csv; give the folder its old name "
        "to resume, or give a new --output"
    )
