"""Profile ``driftline drift REF CUR`` with a CPU clock, imports included; print the top lines.

    python benchmarks/_profile_drift.py REF.parquet CUR.parquet [LINES]

cProfile timed by ``time.process_time`` (CPU seconds of this process, all its
threads), so other work on a shared machine does not count as ours.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time


def main() -> None:
    ref, cur = sys.argv[1], sys.argv[2]
    lines = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    sys.argv = ["driftline", "drift", ref, cur]
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    try:
        from driftline.cli._app import _entry

        _entry()
    except SystemExit:
        pass
    profile.disable()
    stats = pstats.Stats(profile, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(lines)


if __name__ == "__main__":
    main()
