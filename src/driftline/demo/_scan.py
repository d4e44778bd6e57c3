"""Search a folder for planted personal values: every file's bytes, and Parquet decoded.

Parquet pages may be compressed, where a value's bytes do not show; so each
Parquet file is also read through :mod:`driftline.io` and its text searched.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

from driftline.io import read_table

__all__ = ["Found", "scan"]


@dataclasses.dataclass(frozen=True)
class Found:
    """One planted value and the files (relative to the searched folder) that hold it."""

    value: str
    files: tuple[str, ...]


def scan(root: Path, values: list[str], *, skip: tuple[str, ...] = ()) -> list[Found]:
    """Where each of ``values`` sits under ``root``; folders in ``skip`` are the user's own."""
    hits: dict[str, set[str]] = {v: set() for v in values}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or relative.parts[0] in skip:
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue
        texts = [data]
        if path.suffix == ".parquet":
            # A file that cannot be decoded (half written, or not Parquet) is searched as bytes.
            with contextlib.suppress(Exception):
                texts.append(read_table(path).to_pandas().to_csv().encode())
        for value in values:
            needle = value.encode()
            if any(needle in t for t in texts):
                hits[value].add(str(relative))
    return [Found(v, tuple(sorted(hits[v]))) for v in values]
