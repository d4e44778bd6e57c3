"""A run killed with kill -9 and started again produces what one uninterrupted run produces.

The killed runs are real ``driftline batch score`` processes. Each is killed
at a moment the test sees on disk: after the first committed partition,
part-way through, and while a partition's file is being written (a temp
file exists, its rename and the manifest's update have not happened). The
next run of the same command resumes. The output is compared byte for byte:
partitions are pure functions of their rows (Parquet written without
timestamps, profiles seeded by partition), so a partition written by any run
has the same sha256, and the manifests' digests of the partitions agree.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

Rows = Callable[[int, int], pd.DataFrame]
DEADLINE_S = 60.0


def wait_for(condition: Callable[[], Any], *, process: subprocess.Popen[bytes], what: str) -> None:
    """Poll ``condition`` until true; fail if the process ended first or time ran out."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the run ended (exit {process.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.0005)  # polling interval, not synchronization: the condition decides


def committed(folder: Path) -> int:
    try:
        return len(json.loads((folder / "_manifest.json").read_text())["parts"])
    except (OSError, ValueError):  # not there yet
        return 0


def writing(folder: Path) -> bool:
    try:
        return any(".tmp-" in name and name.startswith(".part-") for name in os.listdir(folder))
    except FileNotFoundError:
        return False


def command(home: Path, source: Path, output: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from driftline.cli import main; sys.exit(main())",
        "--home",
        str(home),
        "batch",
        "score",
        "shop@champion",
        "--input",
        str(source),
        "--output",
        str(output),
        "--chunk-rows",
        "300",
        "--json",
    ]


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTLINE_")}
    env["DRIFTLINE_DATABASE_URL"] = f"sqlite:///{home / 'driftline.db'}"
    env["DRIFTLINE_ARTIFACTS_URL"] = str(home / "artifacts")
    return env


def run(home: Path, source: Path, output: Path) -> dict[str, Any]:
    done = subprocess.run(
        command(home, source, output), env=environment(home), capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def kill_when(home: Path, source: Path, output: Path, condition: Callable[[Path], bool]) -> None:
    process = subprocess.Popen(
        command(home, source, output),
        env=environment(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: condition(output), process=process, what="the kill point")
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL


def digests(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.rglob("part-*"))}


@pytest.mark.slow
def test_killed_runs_resume_to_the_output_of_one_uninterrupted_run(
    home: Path, tmp_path: Path, shop_rows: Rows
) -> None:
    rows = shop_rows(24_000, 21)
    rows["colour"] = rows["colour"].astype(object)
    rows.loc[rows.index % 997 == 5, "colour"] = None  # some rejects in many partitions
    source = tmp_path / "in.parquet"
    rows.to_parquet(source, row_group_size=4_000)
    whole = run(home, source, tmp_path / "whole")
    assert whole["partitions"] == 80 and whole["rejected"] == 25

    output = tmp_path / "killed"
    kill_when(home, source, output, lambda f: committed(f) >= 1)  # just after the first
    first = committed(output)
    kill_when(home, source, output, lambda f: committed(f) >= first + 20)  # part-way
    second = committed(output)
    kill_when(home, source, output, writing)  # with a partition half written
    third = committed(output)
    assert 1 <= first < second <= third < 80

    resumed = run(home, source, output)
    assert resumed["resumed"] == third and not resumed["nothing_to_do"]
    assert resumed["manifest_digest"] == whole["manifest_digest"]
    assert (resumed["rows"], resumed["scored"], resumed["rejected"]) == (
        whole["rows"],
        whole["scored"],
        whole["rejected"],
    )
    assert digests(output) == digests(tmp_path / "whole")
    assert (output / "_profile.json").read_bytes() == (
        tmp_path / "whole" / "_profile.json"
    ).read_bytes()
    assert not [p for p in output.rglob("*") if ".tmp-" in p.name]  # leftovers cleared

    again = run(home, source, output)
    assert again["nothing_to_do"] and again["manifest_digest"] == whole["manifest_digest"]
