"""Predictions handed to the log raw: the same records, redacted, as a request writing its own."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from driftline.privacy import PrivacyPolicy, Redactor
from driftline.store import InferenceLog, Predictions

SECRET = b"s" * 32
NAMES = ["age", "income", "account"]


def _redactor(**table: object) -> Redactor:
    return Redactor(PrivacyPolicy.from_table(table), secret=lambda: SECRET)


def _predictions(matrix: np.ndarray, **extra: Any) -> Predictions:
    rows = len(matrix)
    return Predictions(
        model="m",
        version=3,
        route="champion",
        request_ids=[f"req:{i}" for i in range(rows)],
        latency_ms=1.23456,
        names=NAMES,
        inputs=matrix,
        labels=np.arange(rows) % 2,
        probabilities=np.tile([0.25, 0.75], (rows, 1)),
        **extra,
    )


def _write(log: InferenceLog, *batches: Predictions) -> list[BaseException | None]:
    async def main() -> list[BaseException | None]:
        done = await asyncio.gather(
            *(log.commit_predictions(b) for b in batches), return_exceptions=True
        )
        return [d if isinstance(d, BaseException) else None for d in done]

    return asyncio.run(main())


def _reference(batch: Predictions, redactor: Redactor, timestamp: str) -> list[dict[str, Any]]:
    """What the request once built and redacted itself, value by value."""
    return [redactor.record(r) for r in batch.records(timestamp)]


def test_raw_predictions_are_written_as_the_records_they_stand_for(tmp_path: Path) -> None:
    redactor = _redactor()
    log = InferenceLog(tmp_path, redactor=redactor)
    matrix = np.array([[41.0, 52000.5, 7.0], [23.0, 31000.0, 8.0]])
    batch = _predictions(matrix, request_key="cust-a")
    assert _write(log, batch) == [None]
    log.close()
    got = list(log.records())
    assert log.scan.corrupt == 0
    expected = _reference(batch, redactor, got[0]["timestamp"])
    assert got == expected
    assert got[1]["request_id"] == "req:1" and got[1]["latency_ms"] == 1.235
    assert got[0]["inputs"] == {"age": 41.0, "income": 52000.5, "account": 7.0}
    assert got[0]["request_key"] == "cust-a"


def test_personal_values_in_a_matrix_are_redacted_before_they_are_written(tmp_path: Path) -> None:
    # A card number in a number column, and a column the policy hashes.
    redactor = _redactor(personal=["account"])
    log = InferenceLog(tmp_path, redactor=redactor)
    card = 4111111111111111.0
    plain = _predictions(np.array([[41.0, 52000.0, 12345.0]]))
    carded = _predictions(np.array([[41.0, card, 12345.0]]))
    assert _write(log, plain, carded) == [None, None]
    log.close()
    raw = b"".join(p.read_bytes() for p in sorted((tmp_path / "segments").iterdir()))
    assert b"4111111111111111" not in raw and b"12345" not in raw
    got = list(log.records())
    assert [r["inputs"]["income"] for r in got] == [52000.0, None]
    assert got[0]["inputs"]["account"] == redactor.hash(12345.0)
    assert got == _reference(plain, redactor, got[0]["timestamp"]) + _reference(
        carded, redactor, got[1]["timestamp"]
    )


def test_missing_inputs_are_written_as_nan_not_as_null(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path, redactor=_redactor())
    assert _write(log, _predictions(np.array([[float("nan"), 1.0, 2.0]]))) == [None]
    log.close()
    (record,) = log.records()
    assert math.isnan(record["inputs"]["age"])


def test_a_request_whose_records_fail_fails_alone(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path, redactor=_redactor())
    good = _predictions(np.array([[1.0, 2.0, 3.0]]))
    broken = _predictions(np.array([[1.0, 2.0, 3.0]]))
    broken.request_ids = []  # one id short of its rows
    errors = _write(log, good, broken)
    log.close()
    assert errors[0] is None and isinstance(errors[1], IndexError)
    assert [r["request_id"] for r in log.records()] == ["req:0"]


@pytest.mark.parametrize(
    ("matrix", "policy", "keeps"),
    [
        (np.array([[1.0, -2.5e11, 3.0]]), {}, True),
        (np.array([[1.0, 2e12, 3.0]]), {}, False),  # could be an account number
        (np.array([[1.0, float("nan"), 3.0]]), {}, False),
        (np.array([[1.0, 2.0, 3.0]]), {"personal": ["income"]}, False),
        (np.array([[1, 2, 3]]), {}, False),  # integers are scanned one by one
    ],
)
def test_a_matrix_is_kept_whole_only_when_row_would_keep_each_value(
    matrix: np.ndarray, policy: dict[str, object], keeps: bool
) -> None:
    redactor = _redactor(**policy)
    assert redactor.keeps_numbers(NAMES, matrix) is keeps
    if keeps:
        for values in matrix.tolist():
            row = dict(zip(NAMES, values, strict=True))
            assert redactor.row(row) == row
