"""What a stream worker says: why a message went to the dead-letter stream, and how it runs.

A dead-letter reason is one sentence about one message: what the model
expected, what the message held, and what to send instead. The worker's own
lines (started, paused, claimed, stopped) carry their numbers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from driftline.words import listing, name, names, plural

__all__ = [
    "bad_json",
    "claimed",
    "dead_lettered",
    "deleted",
    "example_data",
    "lost_connection",
    "missing_inputs",
    "model_failed",
    "no_data_field",
    "not_an_object",
    "paused",
    "resumed",
    "schema_problem",
    "seconds",
    "started",
    "stopped",
    "unexpected_inputs",
]

_EXAMPLE_VALUES = 3  # inputs shown in an example message


def seconds(value: float) -> str:
    """A duration as people read it.

    >>> seconds(0.25), seconds(30), seconds(95.5), seconds(7200)
    ('0.25 s', '30 s', '1 min 36 s', '2 h 0 min')
    """
    if value < 1:
        return f"{value:.2f} s"
    if value < 10:
        return f"{value:.1f}".removesuffix(".0") + " s"
    whole = round(value)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def example_data(inputs: Sequence[str]) -> str:
    """A `data` field to copy: the first inputs with placeholder values.

    >>> example_data(["age", "income", "region", "debt"])
    'data={"age": ..., "income": ..., "region": ..., ...}'
    """
    shown = [f"{json.dumps(n)}: ..." for n in inputs[:_EXAMPLE_VALUES]]
    if len(inputs) > _EXAMPLE_VALUES:
        shown.append("...")
    return "data={" + ", ".join(shown) + "}"


def no_data_field(message_id: str, fields: Sequence[str], inputs: Sequence[str]) -> str:
    held = f"its fields are {names(fields)}" if fields else "it has no fields"
    return (
        f"message {message_id} has no `data` field ({held}); send the model's inputs as a "
        f"JSON object in a field named data, like {example_data(inputs)}"
    )


def deleted(message_id: str, stream: str) -> str:
    return (
        f"message {message_id} was deleted from the stream {name(stream)} before it was scored, "
        "so there was nothing to score; add it again if it was deleted by mistake"
    )


def bad_json(message_id: str, problem: str, inputs: Sequence[str]) -> str:
    return (
        f"the `data` field of message {message_id} is not valid JSON ({problem}); send a JSON "
        f"object of the model's inputs, like {example_data(inputs)}"
    )


def not_an_object(message_id: str, kind: str, inputs: Sequence[str]) -> str:
    return (
        f"the `data` field of message {message_id} holds a JSON {kind}, not an object of the "
        f"model's inputs; send one object per message, like {example_data(inputs)}"
    )


def missing_inputs(message_id: str, missing: Sequence[str], inputs: Sequence[str]) -> str:
    return (
        f"message {message_id} lacks {len(missing)} of the model's {plural(len(inputs), 'input')} "
        f"({names(missing)}); send every input, with null for a value that is missing"
    )


def unexpected_inputs(message_id: str, extra: Sequence[str], inputs: Sequence[str]) -> str:
    return (
        f"message {message_id} has {plural(len(extra), 'input')} the model does not know "
        f"({names(extra)}); send only its {plural(len(inputs), 'input')}: "
        f"{listing([name(i) for i in inputs], limit=len(inputs))}"
    )


def schema_problem(message_id: str, problem: str, row: int | None) -> str:
    """The signature's sentence, about the message instead of a row of the batch.

    >>> schema_problem("7-0", "column 'age' must be a number, got 'forty' in row 3", 3)
    "column 'age' must be a number, got 'forty' in message 7-0"
    """
    where = f"in message {message_id}"
    if row is not None and f"in row {row}" in problem:
        return problem.replace(f"in row {row}", where, 1)
    return f"{problem} ({where})"


def model_failed(message_id: str, error: BaseException) -> str:
    text = " ".join(str(error).split())[:200] or "no message"
    return (
        f"the model failed on message {message_id} ({type(error).__name__}: {text}) although "
        "it passed the signature's checks; look at its values, or try the model on them"
    )


def started(
    model: str, source: str, sink: str, group: str, consumer: str, batch: int, log: bool
) -> str:
    logged = "; predictions go to the inference log" if log else ""
    return (
        f"scoring {source} into {name(sink)} with {model}: group {name(group)}, consumer "
        f"{name(consumer)}, up to {plural(batch, 'message')} per model call{logged}"
    )


def paused(sink: str, length: int, limit: int) -> str:
    return (
        f"paused reading: the sink {name(sink)} holds {plural(length, 'result')}, at or over the "
        f"limit of {limit:,} (--max-sink); reading resumes when its readers delete or trim what they "
        "have read"
    )


def resumed(sink: str, length: int, limit: int, waited: float) -> str:
    return (
        f"resumed reading after {seconds(waited)}: the sink {name(sink)} holds "
        f"{plural(length, 'result')}, under the limit of {limit:,}"
    )


def claimed(count: int, idle: float) -> str:
    return (
        f"claimed {plural(count, 'message')} left unanswered for over {seconds(idle)} by a "
        "consumer that stopped; scoring them now"
    )


def lost_connection(server: str, error: BaseException, retry: float) -> str:
    return (
        f"lost the connection to {server} ({type(error).__name__}: {error}); trying again in "
        f"{seconds(retry)}, and messages not answered yet stay pending until it is back"
    )


def dead_lettered(count: int, stream: str, first: str) -> str:
    return (
        f"sent {plural(count, 'message')} to the dead-letter stream {name(stream)}; "
        f"the first: {first}"
    )


def stopped(
    elapsed: float, answered: int, dead: int, dead_letter: str, skipped: int, why: str
) -> str:
    others = (
        f", {plural(skipped, 'message')} already answered by another consumer" if skipped else ""
    )
    return (
        f"stopped ({why}) after {seconds(elapsed)}: {plural(answered, 'message')} answered, "
        f"{plural(dead, 'message')} sent to the dead-letter stream {name(dead_letter)}{others}"
    )
