"""The peer of ``driftline drift ref.parquet cur.parquet``: Evidently's preset as a command.

    python benchmarks/_evidently_cli.py ref.parquet cur.parquet

Run by drift_speed_bench.py with the peers' interpreter: reads both files with
pandas, runs ``Report([DataDriftPreset()])`` and prints the drifted columns,
exit 1 when any drifted (as ``driftline drift`` does).
"""

from __future__ import annotations

import sys
import warnings


def main() -> int:
    warnings.filterwarnings("ignore")
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    ref, cur = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
    snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    drifted = []
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        per_column = "column" in config and "threshold" in config
        if per_column and float(metric["value"]) >= float(config["threshold"]):
            drifted.append(config["column"])
    print(f"{len(drifted)} of {len(ref.columns)} columns drifted: {', '.join(drifted)}")
    return 1 if drifted else 0


if __name__ == "__main__":
    sys.exit(main())
