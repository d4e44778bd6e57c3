"""How often does the rollout analysis roll back a good canary, and how fast does it catch a bad one?

    python benchmarks/rollout_bench.py [--quick] [--seeds 200] [--per-minute 300,1000] [--workers 2]

Seeded, one command. Simulated traffic goes through the loop's own analysis
(``driftline.loop.analyze_step``, the code ``driftline loop tick`` runs on the
inference log), one look per simulated minute, over a three-step plan:

    5% for 10 min (100 canary requests), 25% for 20 min (500), 50% for 30 min (1,000),
    then promotion; 300 or 1,000 requests a minute; the default rollback rules
    (error rate +0.5 point, latency p99 +50%, accuracy -2 points, expected accuracy -2 points)

Each request fails with the version's error rate, takes a lognormal latency
(median 20 ms), and is answered right with the version's accuracy; half get a
label, and every answer carries the estimator's expected accuracy (a Beta
around the version's accuracy). Scenarios:

* ``identical``: the canary is the champion (1% errors, 90% accuracy);
* ``errors +2 pts``: the canary fails 3% of requests;
* ``accuracy -5 pts``: the canary is right on 85%, which only the labels show: its
  expected accuracy stays the champion's (a concept shift, which no estimator sees).

For each: the share of rollouts rolled back (with a 95% Wilson interval) and
the median minutes from the start to the rollback. Baselines on the same
traffic, in the same run: a one-sided z-test at 5% checked at every look (a
fixed-sample test peeked at), and a plain threshold at every look as
Flagger and Argo Rollouts use (roll back when the canary's figure is worse
than the champion's by more than the rule's margin, once each side has the
rule's minimum rows). Prints Markdown and writes it into
benchmarks/RESULTS.md under "## Rollout analysis (issue 14)".
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shlex
import subprocess
import sys
import time
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import machine, write_section  # noqa: E402

RESULTS = HERE / "RESULTS.md"
HEADING = "## Rollout analysis (issue 14)"
PLAN = ((5.0, 10, 100), (25.0, 20, 500), (50.0, 30, 1000))  # percent, minutes, min requests
SCENARIOS: dict[str, dict[str, float]] = {
    "identical": {"errors": 0.01, "accuracy": 0.90},
    "errors +2 pts": {"errors": 0.03, "accuracy": 0.90},
    "accuracy -5 pts (labels)": {"errors": 0.01, "accuracy": 0.85, "expected": 0.90},
}
CHAMPION = {"errors": 0.01, "accuracy": 0.90}
METHODS = ("driftline mSPRT", "z-test at every look", "threshold at every look")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _policy() -> Any:
    from driftline.loop import LoopPolicy

    steps = ",\n".join(
        f'  {{ percent = {p:g}, min_duration = "{m}m", min_requests = {r} }}' for p, m, r in PLAN
    )
    return LoopPolicy.from_toml(f"[rollout]\nsteps = [\n{steps},\n]\n")


def _minute(rng: np.random.Generator, n: int, version: dict[str, float]) -> dict[str, Any]:
    """One side's requests of one minute, as arrays."""
    failed = int(rng.binomial(n, version["errors"]))
    k = n - failed
    pred = rng.integers(0, 2, k).astype(float)
    right = rng.random(k) < version["accuracy"]
    label = np.where(right, pred, 1 - pred)
    label[rng.random(k) >= 0.5] = np.nan  # half the answers get a label
    seen = version.get("expected", version["accuracy"])
    return {
        "failed": failed,
        "latency_ms": rng.lognormal(math.log(20), 0.5, k),
        "prediction": pred,
        "label": label,
        "expected_correct": rng.beta(seen * 40, (1 - seen) * 40, k),
    }


class Side:
    """One side's traffic of the current step, grown a minute at a time."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.parts: list[dict[str, Any]] = []

    def add(self, minute: dict[str, Any]) -> None:
        self.parts.append(minute)

    def column(self, name: str) -> np.ndarray:
        return np.concatenate([p[name] for p in self.parts]) if self.parts else np.empty(0)

    def traffic(self) -> Any:
        from driftline.loop import ArmTraffic

        columns = ("latency_ms", "prediction", "label", "expected_correct")
        frame = pd.DataFrame({c: self.column(c) for c in columns})
        return ArmTraffic(self.version, frame, sum(p["failed"] for p in self.parts))


def _figures(side: Side) -> dict[str, tuple[float, float, int]]:
    """Each rule's figure on one side: (value, its variance per row, rows)."""
    failed = sum(p["failed"] for p in side.parts)
    latency = side.column("latency_ms")
    n = len(latency) + failed
    rate = failed / n if n else math.nan
    label, pred = side.column("label"), side.column("prediction")
    known = ~np.isnan(label)
    right = (label[known] == pred[known]).astype(float)
    expected = side.column("expected_correct")
    return {
        "error_rate": (rate, rate * (1 - rate), n),
        "latency_p99": (
            float(np.quantile(latency, 0.99)) if len(latency) else math.nan,
            0.0,
            len(latency),
        ),
        "accuracy": (
            float(right.mean()) if len(right) else math.nan,
            float(right.var()),
            len(right),
        ),
        "estimated_accuracy": (
            float(expected.mean()) if len(expected) else math.nan,
            float(expected.var()),
            len(expected),
        ),
    }


def _baseline(champion: Side, canary: Side, policy: Any, threshold: bool) -> bool:
    """A look of a baseline: each rule against a bare threshold, or a z-test at 5%, at this look."""
    a, b = _figures(champion), _figures(canary)
    for rule in policy.rollback:
        (va, sa, na), (vb, sb, nb) = a[rule.check], b[rule.check]
        if min(na, nb) < policy.rollout.min_rows or not (math.isfinite(va) and math.isfinite(vb)):
            continue
        if rule.check == "latency_p99":
            harm, margin = vb / va - 1, rule.margin  # relative, as the rule is
            se = 0.0 if threshold else _latency_se(champion, canary)
        else:
            harm = vb - va if rule.harm == "higher" else va - vb
            margin = rule.margin
            se = math.sqrt(sa / na + sb / nb)
        if threshold and harm > margin:
            return True
        if not threshold and se > 0 and (harm - margin) / se > 1.645:
            return True
    return False


def _latency_se(champion: Side, canary: Side) -> float:
    """The standard error of the relative change of the p99, by the bootstrap of one side each."""
    rng = np.random.default_rng(0)
    la, lb = champion.column("latency_ms"), canary.column("latency_ms")
    draws = [
        np.quantile(rng.choice(lb, len(lb)), 0.99) / np.quantile(rng.choice(la, len(la)), 0.99)
        for _ in range(50)
    ]
    return float(np.std(draws))


def rollout(args: tuple[int, str, int]) -> dict[str, Any]:
    """One simulated rollout under every method: the minute each rolled back, or None."""
    from driftline.loop import analyze_step

    per_minute, scenario, seed = args
    canary_version = SCENARIOS[scenario]
    rng = np.random.default_rng(seed)
    policy = _policy()
    decided: dict[str, int | None] = dict.fromkeys(METHODS)
    minute = 0
    carried: dict[str, list[float]] = {}  # what the loop keeps in the run between steps
    for step, (percent, minutes, least) in enumerate(PLAN):
        champion, canary = Side(1), Side(2)
        for m in range(1, 10_000):
            minute += 1
            n = int(rng.poisson(per_minute))
            nb = int(rng.binomial(n, percent / 100))
            champion.add(_minute(rng, n - nb, CHAMPION))
            canary.add(_minute(rng, nb, canary_version))
            if decided["driftline mSPRT"] is None:
                found = analyze_step(
                    "sim",
                    champion.traffic(),
                    canary.traffic(),
                    policy,
                    step=step,
                    elapsed=dt.timedelta(minutes=m),
                    carried=carried,
                )
                if found.decision == "rollback":
                    decided["driftline mSPRT"] = minute
                elif found.decision != "wait":
                    carried = found.carry
            for method, threshold in (
                ("z-test at every look", False),
                ("threshold at every look", True),
            ):
                if decided[method] is None and _baseline(champion, canary, policy, threshold):
                    decided[method] = minute
            requests = len(canary.column("latency_ms")) + sum(p["failed"] for p in canary.parts)
            if all(v is not None for v in decided.values()) or (m >= minutes and requests >= least):
                break
        if all(v is not None for v in decided.values()):
            break
    return {"per_minute": per_minute, "scenario": scenario, "seed": seed, **decided}


def wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    z = 1.96
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def report(rows: list[dict[str, Any]], seeds: int, seconds: float, command: str) -> str:
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    levels = sorted({r["per_minute"] for r in rows})
    lines = [
        HEADING,
        "",
        f"Command: `{command}` ({seeds} rollouts per scenario and traffic, {seconds:.0f} s). "
        f"Machine: {machine()}; load: `{load}`; {dt.date.today().isoformat()}.",
        "",
        "Simulated traffic through `driftline.loop.analyze_step`, one look a minute, steps "
        + ", ".join(f"{p:g}% for {m} min ({r} canary requests)" for p, m, r in PLAN)
        + ", default rollback rules (error rate +0.5 point, latency p99 +50%, accuracy and "
        "expected accuracy -2 points), confidence 0.95 over the whole rollout (each rule's "
        "test holds 0.05/4 at every look, its evidence carried from step to step). Champion: "
        "1% errors, 90% accuracy, half the answers labelled. The accuracy drop is one only "
        "labels show (the canary's expected accuracy stays the champion's).",
        "",
        "| requests a minute | scenario | method | rolled back | 95% interval | median minutes to roll back |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for level in levels:
        for scenario in SCENARIOS:
            for method in METHODS:
                times = [
                    r[method]
                    for r in rows
                    if (r["per_minute"], r["scenario"]) == (level, scenario)
                    and r[method] is not None
                ]
                k = len(times)
                lo, hi = wilson(k, seeds)
                median = f"{np.median(times):.0f}" if times else "-"
                lines.append(
                    f"| {level:,} | {scenario} | {method} | {k / seeds:.1%} | {lo:.1%} to "
                    f"{hi:.1%} | {median} |"
                )
    lines += [
        "",
        "Rolled back means rolled back before promotion (a false rollback for `identical`, a "
        "catch for the others). The mSPRT's share for `identical` is its false-rollback rate "
        "(target at most 5%); a canary not rolled back is promoted, so 1 minus the share caught "
        "is its false-promotion rate for that harm. The two baselines see the same traffic and "
        "rules: peeking at a fixed-sample test, or at a bare threshold, every minute.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="40 rollouts per scenario")
    parser.add_argument("--per-minute", default="300,1000", help="traffic levels, comma-separated")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    seeds = 40 if args.quick else args.seeds
    levels = [int(x) for x in args.per_minute.split(",") if x.strip()]
    jobs = [(level, s, seed) for level in levels for s in SCENARIOS for seed in range(seeds)]
    started = time.monotonic()
    log(f"{len(jobs)} rollouts on {args.workers} worker(s)")
    with Pool(args.workers) as pool:
        rows = pool.map(rollout, jobs, chunksize=4)
    seconds = time.monotonic() - started
    command = "python benchmarks/rollout_bench.py " + shlex.join(sys.argv[1:])
    text = report(rows, seeds, seconds, command.strip())
    print(text)
    if not args.no_write:
        write_section(RESULTS, HEADING, text)


if __name__ == "__main__":
    main()
