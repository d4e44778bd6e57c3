"""The local engine: one partition read ahead, one predicted, one profiled and committed behind.

Reading Parquet or CSV, ONNX Runtime, Arrow's writers and numpy release the
GIL, so three threads overlap most of their work: the model is rarely kept
waiting for the files. Each stage holds one partition at a time, so memory
stays at about three partitions whatever the input's size, and partitions
are committed in order, one after the other, as a single thread would.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from driftline.batch._commit import Committer
from driftline.batch._partition import Chunk, Scored, Scorer
from driftline.batch._result import Progress

__all__ = ["run_local"]


def run_local(
    chunks: Iterable[Chunk], scorer: Scorer, committer: Committer, progress: Progress | None
) -> None:
    """Score and commit every chunk in this process."""
    with (
        ThreadPoolExecutor(1, thread_name_prefix="driftline-batch-read") as reader,
        ThreadPoolExecutor(1, thread_name_prefix="driftline-batch-commit") as writer,
    ):
        behind: Future[int] | None = None
        for index, first, chunk in _read_ahead(iter(chunks), reader):
            scored = scorer.predict(chunk, index, first)
            if behind is not None:
                _done(behind, progress)
            behind = writer.submit(_finish, scorer, committer, scored)
        if behind is not None:
            _done(behind, progress)


def _finish(scorer: Scorer, committer: Committer, scored: Scored) -> int:
    committer.commit(scorer.profile(scored))
    return scored.rows


def _done(future: Future[int], progress: Progress | None) -> None:
    rows = future.result()  # a failed commit stops the run here, with its own error
    if progress is not None:
        progress.advance(rows)


def _read_ahead(chunks: Iterator[Chunk], pool: ThreadPoolExecutor) -> Iterator[Chunk]:
    following: Future[Chunk | None] = pool.submit(next, chunks, None)
    while (item := following.result()) is not None:
        following = pool.submit(next, chunks, None)
        yield item
