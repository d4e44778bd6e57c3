"""Streams: score a registered model version over Redis Streams, each message answered once.

:func:`run` (``driftline stream run``) reads a source stream as one consumer
of a consumer group, scores what waits in one model call, and writes each
result to a sink stream with its acknowledgement in one atomic step, so a
worker killed at any moment and started again leaves exactly one result per
message. Messages idle on a stopped consumer are claimed; messages that
cannot be scored go to a dead-letter stream with the reason. The message
format is described in ``_messages``; redis-py (``pip install
'driftline[redis]'``) is imported only when a worker connects.
"""

from driftline.stream._address import StreamAddress, parse_duration
from driftline.stream._service import run, stop_on_signals
from driftline.stream._worker import StreamOptions, StreamStats, StreamWorker

__all__ = [
    "StreamAddress",
    "StreamOptions",
    "StreamStats",
    "StreamWorker",
    "parse_duration",
    "run",
    "stop_on_signals",
]
