"""Governance's sentences, each with its numbers."""

from __future__ import annotations

import datetime as dt

from driftline.governance._words import (
    age_text,
    forget_sentence,
    pending_sentence,
    prune_sentence,
    rows_text,
)

DIGEST = "hmac-sha256:" + "ab" * 32


def test_forgetting_says_what_went_from_where_and_never_who() -> None:
    assert forget_sentence(
        "the value given for the request key", {"labels": 1, "predictions": 12}, 3, 1, DIGEST
    ) == (
        "Removed 12 predictions and 1 label matching the value given for the request key from 3 "
        "log files and 1 segment. The audit record names this person only by the keyed hash "
        "hmac-sha256:abababababababab…."
    )
    assert forget_sentence("input column `email`", {}, 0, 0, DIGEST) == (
        "No logged record matches input column `email`: nothing to remove. The request is "
        "recorded in the audit record under the keyed hash hmac-sha256:abababababababab…."
    )


def test_records_a_live_server_holds_say_when_to_run_again() -> None:
    assert pending_sentence(3, 600) == (
        "3 more records of this person are in the segment a running server is still writing, "
        "which cannot be rewritten under it: run the same driftline forget again once it is "
        "sealed (the server seals its segment every 600 seconds)."
    )
    assert pending_sentence(1, 0).startswith("1 more record of this person is in the segment")
    assert pending_sentence(1, 0).endswith(
        "(stop the server, or set log_compact_seconds so it seals its segment)."
    )


def test_retention_names_the_days_the_models_and_the_rows() -> None:
    assert prune_sentence(
        dt.timedelta(weeks=12), dt.date(2026, 9, 7), ["2026-09-06"], [], {"labels": 4}, 1
    ) == (
        "Deleted 1 day (2026-09-06) of the inference log of records sent without a model, older "
        "than 84 days (before 2026-09-07): 4 labels in 1 file. The audit record lists each day."
    )
    assert age_text(dt.timedelta(hours=36, minutes=30)) == "1 day, 12 hours and 30 minutes"
    assert rows_text({"outcomes": 2, "predictions": 1, "clicks": 5}) == (
        "1 prediction, 2 outcomes and 5 click records"
    )
