"""check_quality as a whole: quiet on clean data over many seeds, every input form, plain data."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from rich.console import Console

from driftline.errors import InputError
from driftline.quality import check_quality
from driftline.quality._unseen import outside_range_p, unseen_p
from driftline.schema import Signature
from driftline.stats import Profile


def test_clean_batches_raise_no_warnings_in_at_least_95_percent_of_runs(make) -> None:
    # A fresh sample of the training distribution is the null hypothesis of every check:
    # over seeds, the whole report (all checks, all columns) stays quiet in >= 95% of runs.
    seeds = 40
    noisy = []
    for seed in range(seeds):
        reference, current = make(1000, 1000 + seed), make(500, 2000 + seed)
        report = check_quality(reference, current, target="y", seed=seed)
        found = [f.check for f in report.findings if f.severity != "info"]
        if found:
            noisy.append((seed, found))
    assert len(noisy) <= 0.05 * seeds, noisy


def test_outside_range_p_is_exact_by_enumeration() -> None:
    import itertools

    n, m = 5, 4
    counts = np.zeros(m + 1)
    for chosen in itertools.combinations(range(n + m), n):
        lo, hi = min(chosen), max(chosen)
        outside = sum(1 for i in range(n + m) if i not in chosen and not lo < i < hi)
        counts[outside] += 1
    survival = counts[::-1].cumsum()[::-1] / counts.sum()
    for k in range(m + 1):
        assert outside_range_p(k, m, n) == pytest.approx(survival[k])


def test_unseen_p_holds_its_level_on_long_tailed_categories() -> None:
    # Rare categories missing from the reference show up in clumps; a row-by-row binomial
    # test alarms on 7% of clean batches here at level 1%. The permutation test must not.
    shares = 1 / np.arange(1, 91) ** 1.1
    shares /= shares.sum()
    seeds, alpha = 200, 0.05
    rejected = 0
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        ref = pd.Series(rng.choice(90, 1000, p=shares)).value_counts()
        cur = pd.Series(rng.choice(90, 500, p=shares))
        rejected += unseen_p(ref, cur, permutations=400, seed=seed) <= alpha
    assert rejected / seeds <= alpha + 2.5 * np.sqrt(alpha * (1 - alpha) / seeds)

    ref = pd.Series({"a": 600, "b": 400})
    assert unseen_p(ref, pd.Series(["a"] * 95 + ["z"] * 5), permutations=400) < 0.01


@pytest.mark.parametrize("form", ["arrow", "parquet", "csv"])
def test_tables_and_files_give_the_same_findings(pair, tmp_path, form) -> None:
    ref, cur = pair
    cur = cur.assign(age=cur["age"] + 15)
    expected = check_quality(ref, cur).to_dict()
    if form == "arrow":
        got = check_quality(pa.Table.from_pandas(ref), pa.Table.from_pandas(cur))
    else:
        paths = []
        for name, frame in (("ref", ref), ("cur", cur)):
            path = tmp_path / f"{name}.{form}"
            frame.to_parquet(path) if form == "parquet" else frame.to_csv(path, index=False)
            paths.append(path)
        got = check_quality(*paths)
    assert [f["check"] for f in got.to_dict()["findings"]] == [
        f["check"] for f in expected["findings"]
    ]
    assert got.findings[0].message == expected["findings"][0]["message"]


def test_numpy_arrays_are_columns_x0_x1() -> None:
    rng = np.random.default_rng(0)
    ref, cur = rng.normal(size=(500, 2)), rng.normal(size=(300, 2))
    cur[:30, 1] = 50.0
    finding = check_quality(ref, cur).findings[0]
    assert (finding.check, finding.column) == ("out_of_range", "x1")


def test_a_profile_stands_in_for_the_reference(pair) -> None:
    ref, cur = pair
    profile = Profile.build(ref)
    clean = check_quality(profile, cur)
    assert clean.passed and not [f for f in clean.findings if f.severity != "info"]
    shifted = check_quality(None, cur.assign(age=cur["age"] + 15), profile=profile, target="y")
    assert shifted.findings[0].column == "age" and shifted.n_reference == len(ref)
    assert "leakage" in shifted.checks


def test_a_signature_alone_checks_columns_types_and_ranges(pair) -> None:
    ref, cur = pair
    signature = Signature.infer(ref, target="y")
    report = check_quality(None, cur.assign(age=cur["age"] + 15), signature=signature)
    assert not report.passed and report.findings[0].column == "age"
    assert report.skipped["representativeness"] == "the reference has no rows"


def test_the_signature_wins_over_the_reference(pair) -> None:
    ref, cur = pair
    narrow = Signature.infer(ref[ref["age"] < 60].drop(columns="y"))
    finding = check_quality(ref, cur, signature=narrow).findings[0]
    assert (finding.check, finding.column) == ("out_of_range", "age")


def test_report_is_plain_json_and_renders_with_rich(pair) -> None:
    ref, cur = pair
    report = check_quality(ref, cur.assign(age=cur["age"] + 15), target="y")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["passed"] is False and data["findings"][0]["column"] == "age"
    assert data["headline"] == report.headline
    out = io.StringIO()
    Console(file=out, width=120).print(report)
    flat = " ".join(out.getvalue().split())  # the console wraps the long headline
    assert "out_of_range" in flat and flat.startswith(report.headline)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 1.5}, "alpha must be a number strictly between 0 and 1"),
        ({"target": "nope"}, "target column 'nope' is not in the reference"),
    ],
)
def test_bad_arguments_say_what_to_do(pair, kwargs, message) -> None:
    ref, cur = pair
    with pytest.raises(InputError, match=message):
        check_quality(ref, cur, **kwargs)


def test_current_must_be_rows_and_reference_must_exist(pair) -> None:
    ref, cur = pair
    with pytest.raises(InputError, match="current data must be rows"):
        check_quality(ref, Profile.build(cur))
    with pytest.raises(InputError, match="needs the training data"):
        check_quality(None, cur)
    with pytest.raises(InputError, match="no rows"):
        check_quality(ref, cur.iloc[:0])


def test_unreadable_files_name_the_file(tmp_path, pair) -> None:
    ref, _ = pair
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(InputError, match=r"cannot read current data '.*bad\.parquet'"):
        check_quality(ref, bad)


def test_text_codes_in_a_csv_stay_text(tmp_path) -> None:
    ref = pd.DataFrame({"zip": ["02139", "10001", "94103"] * 20})
    cur = pd.DataFrame({"zip": ["02139", "10001"] * 10})
    paths = [tmp_path / "ref.csv", tmp_path / "cur.csv"]
    for frame, path in zip((ref, cur), paths, strict=True):
        frame.to_csv(path, index=False)
    report = check_quality(pd.DataFrame({"zip": ref["zip"]}), paths[1])
    assert [f for f in report.findings if f.check in ("type", "unseen_categories")] == []
