"""A lone caller's request is answered in its own task; with company, requests still batch."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from driftline.registry import ModelRuntime
from driftline.serving._batcher import Batcher, BatchStats


def test_a_lone_request_skips_the_queue_and_company_still_batches(ws, trained) -> None:  # type: ignore[no-untyped-def]
    runtime = ModelRuntime.load(ws.context, "forest@champion")
    rows = trained.numeric[runtime.names].to_numpy(dtype=np.float64)[:8]
    expected = runtime.predict(rows).labels
    batches: list[BatchStats] = []

    async def scenario() -> None:
        # Every call counts as cheap (made on the loop), however loaded the machine is.
        batcher = Batcher(
            runtime, inline_below_s=1.0, on_batch=lambda _, stats: batches.append(stats)
        )
        first = await batcher.predict(rows[:1], timeout=5)  # starts the runner, through the queue
        for _ in range(100):  # until the runner waits for work
            if batcher._wakeup is not None:
                break
            await asyncio.sleep(0)
        assert batcher._wakeup is not None
        # Alone: answered in this task, with no wait in the queue.
        lone = await batcher.predict(rows[1:2], timeout=5, alone=True)
        assert batches[-1].queue_seconds == [0.0]
        # Not alone: eight requests at once share model calls, as before.
        together = await asyncio.gather(
            *(batcher.predict(rows[i : i + 1], timeout=5) for i in range(8))
        )
        await batcher.stop()
        assert first.labels.tolist() == expected[:1].tolist()
        assert lone.labels.tolist() == expected[1:2].tolist()
        assert [p.labels[0] for p in together] == expected.tolist()
        assert sum(b.requests for b in batches[2:]) == 8
        assert len(batches[2:]) < 8  # some call answered more than one

    asyncio.run(scenario())


def test_a_lone_request_whose_rows_fail_the_check_hears_why(ws, trained) -> None:  # type: ignore[no-untyped-def]
    runtime = ModelRuntime.load(ws.context, "forest@champion")
    rows = trained.numeric[runtime.names].to_numpy(dtype=np.float64)[:1]

    def refuse(matrix: np.ndarray) -> None:
        raise ValueError(f"{len(matrix)} row refused")

    async def scenario() -> None:
        batcher = Batcher(runtime, inline_below_s=1.0)
        await batcher.predict(rows, timeout=5)
        for _ in range(100):  # until the runner waits for work
            if batcher._wakeup is not None:
                break
            await asyncio.sleep(0)
        with pytest.raises(ValueError, match="1 row refused"):
            await batcher.predict(rows, timeout=5, check=refuse, alone=True)
        await batcher.stop()

    asyncio.run(scenario())
