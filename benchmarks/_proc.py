"""A process and its live descendants, read from /proc, for the benchmarks that sample a server."""

from __future__ import annotations

from pathlib import Path

__all__ = ["process_tree"]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (each thread's own children counted), parents first;
    a process that ended while being read is left out, with its descendants."""
    out, todo, seen = [], [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            tasks = list(Path(f"/proc/{p}/task").iterdir())
        except OSError:
            continue
        out.append(p)
        for task in tasks:
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except (OSError, ValueError):
                continue
    return out
