"""Every sentence a stream worker says, exactly, for given numbers."""

from __future__ import annotations

import pytest

from driftline.stream import _words as w

INPUTS = ["age", "income", "region", "debt"]
EXAMPLE = 'data={"age": ..., "income": ..., "region": ..., ...}'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.05, "0.05 s"),
        (2.5, "2.5 s"),
        (3, "3 s"),
        (59.7, "1 min 0 s"),
        (125, "2 min 5 s"),
        (7260, "2 h 1 min"),
    ],
)
def test_seconds(value: float, text: str) -> None:
    assert w.seconds(value) == text


def test_dead_letter_reasons() -> None:
    assert w.no_data_field("5-0", ["payload", "key"], INPUTS) == (
        "message 5-0 has no `data` field (its fields are `payload` and `key`); send the model's "
        f"inputs as a JSON object in a field named data, like {EXAMPLE}"
    )
    assert w.bad_json("5-1", "Expecting value: line 1 column 1 (char 0)", INPUTS) == (
        "the `data` field of message 5-1 is not valid JSON (Expecting value: line 1 column 1 "
        f"(char 0)); send a JSON object of the model's inputs, like {EXAMPLE}"
    )
    assert w.not_an_object("5-2", "array", INPUTS[:2]) == (
        "the `data` field of message 5-2 holds a JSON array, not an object of the model's "
        'inputs; send one object per message, like data={"age": ..., "income": ...}'
    )
    assert w.missing_inputs("5-3", ["income", "debt"], INPUTS) == (
        "message 5-3 lacks 2 of the model's 4 inputs (`income` and `debt`); send every input, "
        "with null for a value that is missing"
    )
    assert w.unexpected_inputs("5-4", ["colour"], INPUTS) == (
        "message 5-4 has 1 input the model does not know (`colour`); send only its 4 inputs: "
        "`age`, `income`, `region` and `debt`"
    )
    assert w.deleted("5-5", "orders") == (
        "message 5-5 was deleted from the stream `orders` before it was scored, so there was "
        "nothing to score; add it again if it was deleted by mistake"
    )
    assert w.model_failed("5-6", ValueError("Input contains NaN")) == (
        "the model failed on message 5-6 (ValueError: Input contains NaN) although it passed "
        "the signature's checks; look at its values, or try the model on them"
    )


def test_a_schema_problem_names_the_message_not_the_row() -> None:
    problem = "column 'size' must be a finite number, got inf in row 12; send a real value"
    assert w.schema_problem("9-0", problem, 12) == (
        "column 'size' must be a finite number, got inf in message 9-0; send a real value"
    )
    assert w.schema_problem("9-1", "expected 3 columns, got 2", None) == (
        "expected 3 columns, got 2 (in message 9-1)"
    )


def test_what_the_worker_says_as_it_runs() -> None:
    assert w.started(
        "churn:3", "redis://cache:6379/0/orders", "scores", "g", "pod-1", 64, True
    ) == (
        "scoring redis://cache:6379/0/orders into `scores` with churn:3: group `g`, consumer "
        "`pod-1`, up to 64 messages per model call; predictions go to the inference log"
    )
    assert w.paused("scores", 100_250, 100_000) == (
        "paused reading: the sink `scores` holds 100,250 results, at or over the limit of "
        "100,000 (--max-sink); reading resumes when its readers delete or trim what they have "
        "read"
    )
    assert w.resumed("scores", 99_000, 100_000, 12.4) == (
        "resumed reading after 12 s: the sink `scores` holds 99,000 results, under the limit of "
        "100,000"
    )
    assert w.claimed(16, 30) == (
        "claimed 16 messages left unanswered for over 30 s by a consumer that stopped; "
        "scoring them now"
    )
    assert w.dead_lettered(1, "orders:dead-letter", "a reason") == (
        "sent 1 message to the dead-letter stream `orders:dead-letter`; the first: a reason"
    )
    assert w.lost_connection("redis://cache:6379/0/orders", ConnectionError("reset"), 0.4) == (
        "lost the connection to redis://cache:6379/0/orders (ConnectionError: reset); trying "
        "again in 0.40 s, and messages not answered yet stay pending until it is back"
    )
    assert w.stopped(95.5, 12_000, 3, "orders:dead-letter", 0, "SIGTERM received") == (
        "stopped (SIGTERM received) after 1 min 36 s: 12,000 messages answered, 3 messages sent "
        "to the dead-letter stream `orders:dead-letter`"
    )
    assert w.stopped(2, 10, 0, "d", 4, "nothing left to read").endswith(
        "0 messages sent to the dead-letter stream `d`, 4 messages already answered by another "
        "consumer"
    )
