"""What every benchmark shares about RESULTS.md: how the machine reads, and writing one section."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import sys
from pathlib import Path


def machine() -> str:
    """CPU model, cores, memory and kernel, from /proc where it exists."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {ram} RAM, {platform.system()} {platform.release()}"


def head(heading: str, load: str) -> list[str]:
    """A section's first lines: its heading, when and where it ran, and the command that ran it."""
    script = Path(sys.argv[0]).name
    return [
        heading,
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}; {load} "
        "before the run.",
        "",
        "```console",
        f"python benchmarks/{script} " + shlex.join(sys.argv[1:]),
        "```",
    ]


def write_section(results: Path, heading: str, section: str) -> None:
    """Replace (or add) the section under ``heading`` in ``results``, keeping the others."""
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    start = text.find(heading)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(heading))
        rest = text[end + 1 :] if end >= 0 else ""
        text = text[:start] + section + ("\n" + rest if rest else "")
    results.write_text(text)
