"""The dashboard's sentences, each with its numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from driftline.ui._state import said
from driftline.ui._words import action_sentence, health_sentence, loop_sentence, since_words

NOW = dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC)  # a Thursday


def _health(**changes: object) -> str:
    values: dict[str, object] = {
        "drifted": [],
        "drift_since": None,
        "metric": None,
        "estimated": None,
        "reference": None,
        "open_alerts": 0,
        "watched": True,
        "now": NOW,
    }
    values.update(changes)
    return health_sentence(**values)  # type: ignore[arg-type]


def test_health_names_the_input_that_moved_most_and_since_when() -> None:
    text = _health(
        drifted=["income", "age"],
        drift_since=dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC),
        metric="accuracy",
        estimated=0.84,
        reference=0.91,
        open_alerts=2,
    )
    assert text == (
        "Inputs shifted since Tuesday (`income` moved most); estimated accuracy 84%, "
        "down from 91%; 2 alerts are open."
    )


def test_health_when_all_is_well_and_when_nothing_is_known() -> None:
    assert _health(metric="accuracy", estimated=0.93, reference=0.91) == (
        "Inputs look like the training data; estimated accuracy 93%, up from 91% and no alert "
        "is open."
    )
    assert "No monitoring has run" in _health(watched=False)


def test_an_error_metric_reads_as_a_number() -> None:
    text = _health(metric="rmse", estimated=12.41, reference=10.2, open_alerts=1)
    assert text.endswith("estimated RMSE 12.4, up from 10.2; 1 alert is open.")


@pytest.mark.parametrize(
    ("when", "words"),
    [
        (dt.datetime(2026, 12, 3, 11, 30, tzinfo=dt.UTC), "since 11:30 UTC today"),
        (dt.datetime(2026, 11, 28, 8, tzinfo=dt.UTC), "since Saturday"),
        (dt.datetime(2026, 11, 2, tzinfo=dt.UTC), "since 2 Nov"),
    ],
)
def test_since_words(when: dt.datetime, words: str) -> None:
    assert since_words(when, NOW) == words


def test_each_action_says_what_will_happen() -> None:
    assert action_sentence("rollback", "shop", champion=3, previous=2) == (
        "shop goes back from version 3 to version 2, which will answer all traffic again; "
        "the change is recorded under your name."
    )
    assert "stops and version 3 answers all traffic" in action_sentence(
        "rollback", "shop", champion=3
    )
    assert "at 25% of traffic" in action_sentence("pause", "shop", percent_now=25.0)
    assert "version 2 keeps serving" in action_sentence("reject", "shop", version=4, champion=2)
    assert action_sentence("approve", "shop", version=4).startswith("Version 4 of shop goes on")
    with pytest.raises(ValueError, match="unknown action"):
        action_sentence("delete", "shop")


def test_loop_sentence_without_a_run() -> None:
    assert loop_sentence(None, 2) == "No rollout has run; version 2 answers all traffic."
    assert loop_sentence(None, None) == "No rollout has run, and no version serves yet."
    assert loop_sentence({"sentence": "version 3 is in its canary."}, 2) == (
        "Version 3 is in its canary."
    )


def test_names_become_code_and_everything_else_is_escaped() -> None:
    assert str(said("`income` <b>moved</b>")) == ("<code>income</code> &lt;b&gt;moved&lt;/b&gt;")
