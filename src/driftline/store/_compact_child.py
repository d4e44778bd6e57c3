"""Compaction in a child process, so that a server's requests never wait behind it.

Decoding a segment's JSON and encoding Parquet hold the GIL: run in the
server's own process, every request waits while they do (p99 four times higher
during a compaction in a soak). The server runs :func:`compaction_command`
instead: a fresh Python that compacts the log folder at a lower CPU priority
and prints what it moved as one JSON line, or exits with one line saying what
failed (:func:`compaction_result` reads either).

The child is a compactor like ``driftline log compact``: it takes the folder's
lock, so servers sharing one folder still take turns, and killing it at any
moment is what compaction is built to survive (see ``_compact``): the kernel
releases its lock, a segment is deleted only after its files are published, a
file is published by a rename or a whole upload, and what it left half-written
is on local scratch space that the next compaction clears.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sys
from pathlib import Path

from driftline.errors import DriftlineError, StorageError
from driftline.store._compact import Compaction, compact
from driftline.store._logstore import LogStore
from driftline.store._segments import segment_files

__all__ = [
    "NICE",
    "CompactionFailed",
    "compaction_command",
    "compaction_result",
    "main",
    "waiting_bytes",
]

NICE = 10  # below serving: the child takes the CPU the server leaves
_FAILED = 3  # the exit status of a failure the child could name in one line
# Niced first: its imports are work the server's requests should not wait behind either.
_RUN = (
    "import os, sys; os.nice(int(sys.argv[1])); "
    "from driftline.store._compact_child import main; sys.exit(main(sys.argv[2:]))"
)


class CompactionFailed(StorageError):
    """A compaction in a child process that did not finish; ``detail`` holds all it printed."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def compaction_command(folder: Path, store: LogStore, *, nice: int | None = None) -> list[str]:
    """The command line of a child that compacts ``folder`` into ``store``, niced by ``nice``
    (:data:`NICE` when None)."""
    spec = {"folder": str(folder), "url": store.url, "endpoint": store.endpoint}
    return [sys.executable, "-c", _RUN, str(NICE if nice is None else nice), json.dumps(spec)]


def waiting_bytes(folder: Path) -> int:
    """How many bytes of closed segments wait for compaction in ``folder``."""
    total = 0
    for path in segment_files(folder, closed_only=True):
        with contextlib.suppress(FileNotFoundError):  # compacted meanwhile
            total += path.stat().st_size
    return total


def compaction_result(returncode: int, stdout: bytes, stderr: bytes) -> Compaction:
    """What the child moved; :class:`CompactionFailed` when it did not finish."""
    said = stderr.decode(errors="replace").strip()
    if returncode == 0:
        try:
            return Compaction(**json.loads(stdout.decode().strip().splitlines()[-1]))
        except (ValueError, TypeError, IndexError) as exc:
            raise CompactionFailed(
                f"the compaction process gave no result it could be read from ({exc})", said
            ) from exc
    if returncode == _FAILED and said:
        raise CompactionFailed(said.splitlines()[-1], said)
    how = f"was stopped by signal {-returncode}" if returncode < 0 else f"exited {returncode}"
    last = said.splitlines()[-1] if said else "it printed nothing"
    raise CompactionFailed(f"the compaction process {how}: {last}", said)


def main(argv: list[str]) -> int:
    """Run one compaction as the child: the last line on stdout is the result as JSON."""
    spec = json.loads(argv[0])
    # Ctrl-C reaches the whole process group: the server decides when its child stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What compaction warns of (damaged lines) goes to the server, which logs it as its own.
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    try:
        store = LogStore(spec["url"], s3_endpoint_url=spec.get("endpoint"))
        done = compact(Path(spec["folder"]), store)
    except (DriftlineError, OSError) as exc:
        print(exc, file=sys.stderr, flush=True)
        return _FAILED
    print(json.dumps(done.to_dict()), flush=True)
    return 0
