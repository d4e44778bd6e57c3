"""The server's way into the inference log: ``InferenceLog.commit`` groups one loop turn per write.

(It lives in ``driftline.store._log``; it is tested here, next to the server that uses it.)
"""

from __future__ import annotations

import asyncio
import errno
from pathlib import Path
from typing import Any

import pytest

from driftline.errors import StorageError
from driftline.store import InferenceLog


def _record(i: int) -> dict[str, object]:
    return {
        "kind": "prediction",
        "request_id": f"r{i}",
        "timestamp": "2026-11-01T12:00:00+00:00",
        "model": "m",
        "version": 1,
        "route": "champion",
        "inputs": {"x": float(i)},
        "prediction": i % 2,
    }


@pytest.mark.parametrize("wait_for", ["write", "fsync"])
def test_commits_in_one_loop_turn_share_one_write(tmp_path: Path, wait_for: str) -> None:
    log = InferenceLog(tmp_path, wait_for=wait_for)

    async def main() -> None:
        # 40 requests finishing together, as a batch's answers do; then 2 on their own.
        await asyncio.gather(*(log.commit([_record(i)]) for i in range(40)))
        await log.commit([_record(40), _record(41)])
        await log.commit([_record(42)])

    asyncio.run(main())
    assert log.groups == 3
    ids = [r["request_id"] for r in log.records()]  # readable before close: it was written
    assert ids == [f"r{i}" for i in range(43)]
    log.close()
    assert [r["request_id"] for r in log.records(closed_only=True)] == ids  # sealed


def test_commit_and_append_share_the_segment_and_a_closed_log_refuses(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)

    async def main() -> None:
        await log.commit([_record(1)])
        await asyncio.wrap_future(log.append(_record(2)))  # the writer thread's way in
        await log.commit([_record(3)])

    asyncio.run(main())
    log.close()
    assert [r["request_id"] for r in log.records()] == ["r1", "r2", "r3"]
    assert len(list((tmp_path / "segments").iterdir())) == 1

    async def late() -> None:
        await log.commit([_record(4)])

    with pytest.raises(StorageError, match="closed"):
        asyncio.run(late())


class _FullDisk:
    """The segment file, where every write fails as on a full disk."""

    def __init__(self, file: Any) -> None:
        self.file = file

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def fileno(self) -> int:
        return int(self.file.fileno())

    def close(self) -> None:
        self.file.close()


def test_a_failed_write_fails_its_waiters(tmp_path: Path) -> None:
    log = InferenceLog(tmp_path)

    async def main() -> None:
        await log.commit([_record(1)])
        log._file = _FullDisk(log._file)
        await log.commit([_record(2)])

    with pytest.raises(StorageError, match="No space left"):
        asyncio.run(main())
    log.close()
    assert [r["request_id"] for r in log.records()] == ["r1"]
