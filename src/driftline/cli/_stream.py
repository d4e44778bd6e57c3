"""``driftline stream run``: score the messages of a Redis stream until stopped."""

from __future__ import annotations

import logging
import sys

import typer

from driftline.cli._context import Context, echo_json, examples

RUN = "driftline stream run churn@champion --source redis://localhost:6379/0/orders --sink scores"
RUN_MORE = (
    "driftline stream run churn@champion --source redis://cache:6379/0/orders --sink scores "
    "--group churn --consumer pod-1 --claim-idle 30s --batch 128 --log"
)
stream_app = typer.Typer(
    help="Score the messages of Redis Streams with a registered model.",
    no_args_is_help=True,
    epilog=examples(RUN, RUN_MORE),
)


@stream_app.command("run", epilog=examples(RUN, RUN_MORE))
def run(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME, NAME:VERSION or NAME@ALIAS"),
    source: str = typer.Option(
        ..., "--source", help="The stream to read: redis://HOST:PORT/DB/STREAM."
    ),
    sink: str = typer.Option(
        ..., "--sink", help="The stream for results: a name on the source's server."
    ),
    group: str | None = typer.Option(
        None, "--group", help="Consumer group (default: driftline:NAME); workers share it."
    ),
    consumer: str | None = typer.Option(
        None,
        "--consumer",
        help="This worker's name in the group (default: HOST-PID); a stable name (a pod's) "
        "resumes at once after a crash.",
    ),
    dead_letter: str | None = typer.Option(
        None,
        "--dead-letter",
        help="Stream for messages that cannot be scored (default: SOURCE:dead-letter).",
    ),
    claim_idle: str = typer.Option(
        "30s", "--claim-idle", help="Claim messages left this long on a stopped worker."
    ),
    batch: int = typer.Option(64, "--batch", help="Most messages per model call."),
    max_sink: int = typer.Option(
        100_000,
        "--max-sink",
        help="Pause reading while the sink holds this many results (0: never).",
    ),
    block: str = typer.Option("1s", "--block", help="Longest wait for a message at a time."),
    log: bool = typer.Option(
        False, "--log", help="Also write predictions to the inference log (route stream)."
    ),
    drain: bool = typer.Option(
        False, "--drain", help="Stop once the group has answered every message, instead of waiting."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the run's counts as JSON at the end."
    ),
) -> None:
    """Score a stream's messages, each answered once, until stopped (SIGTERM or Ctrl-C).

    Each message holds the model's inputs as a JSON object in a field named
    data (XADD orders * data '{"age": 41, "region": "north"}'). Each result
    written to the sink has input_id (the message's id), request_id, model,
    version, prediction and, for classifiers, probabilities (JSON). A message
    that cannot be scored goes to the dead-letter stream with the reason.
    SIGTERM finishes and writes the batch in hand, then exits 0. Progress
    lines go to stderr.
    """
    from driftline import stream

    obj: Context = ctx.obj
    idle = stream.parse_duration(claim_idle, option="--claim-idle")
    wait = stream.parse_duration(block, option="--block")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s driftline stream: %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("driftline.stream")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with obj.workspace() as ws:
            stats = stream.run(
                ws.context,
                ref,
                source,
                sink=sink,
                group=group,
                consumer=consumer,
                dead_letter=dead_letter,
                claim_idle=idle,
                batch=batch,
                max_sink=max_sink,
                block=wait,
                log=log,
                drain=drain,
                handle_signals=True,
            )
    finally:
        logger.removeHandler(handler)
    if as_json:
        echo_json(stats.to_dict())
