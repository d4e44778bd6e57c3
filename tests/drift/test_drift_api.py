"""drift(), DriftReport and the corrections."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from scipy import stats as sps

from driftline.drift import (
    ChiSquareDetector,
    DriftReport,
    KSDetector,
    WassersteinDetector,
    drift,
)
from driftline.drift._correction import adjust
from driftline.errors import InputError
from driftline.stats import Profile


def _data(seed: int, n: int = 3000, shift: float = 0.0, p_red: float = 0.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "income": rng.lognormal(10 + shift, 0.5, n),
            "age": rng.normal(40, 10, n),
            "colour": rng.choice(["red", "blue"], n, p=[p_red, 1 - p_red]),
            "member": rng.random(n) < 0.4,
        }
    )


def test_drift_names_the_columns_that_moved() -> None:
    report = drift(_data(0), _data(1, shift=0.5, p_red=0.8))
    assert report.drift_detected
    assert report.drifted_columns == ["income", "colour"]
    by_column = {c.column: c for c in report.columns}
    assert by_column["income"].method == "wasserstein"
    assert by_column["colour"].method == "chi2"
    assert by_column["member"].method == "chi2"
    assert by_column["age"].effect == "wasserstein_normed"
    assert report.n_reference == report.n_current == 3000
    assert report.score == pytest.approx(0.5)
    # method="auto" adds the kernel test of whole rows (issue 3).
    assert [t.method for t in report.multivariate] == ["mmd"]


def test_drift_accepts_profiles_and_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ref = _data(0)
    cur = _data(1, shift=0.5)
    path = tmp_path / "current.parquet"
    cur.to_parquet(path)
    ref_profile = Profile.build(ref)
    from_frames = drift(ref, cur)
    from_file = drift(ref_profile, path)
    from_profiles = drift(ref_profile, Profile.build(cur, reference=ref_profile))
    assert from_frames.to_dict() == from_file.to_dict() == from_profiles.to_dict()


def test_drift_rejects_a_current_profile_with_other_bins() -> None:
    with pytest.raises(InputError, match="reference=ref"):
        drift(Profile.build(_data(0)), Profile.build(_data(1)))


def test_every_method_and_correction_runs() -> None:
    ref, cur = _data(0, 500), _data(1, 500, shift=1.0)
    for method in ("auto", "ks", "chi2", "psi", "jensen_shannon", "wasserstein"):
        for correction in ("bh", "bonferroni", "none"):
            report = drift(ref, cur, method=method, correction=correction)
            assert report.method == method
            assert "income" in report.drifted_columns


def test_numeric_only_detectors_skip_categories_unless_asked() -> None:
    det = KSDetector().fit(_data(0, 300))
    assert det.columns_ == ["income", "age"]
    with pytest.raises(InputError, match="ChiSquareDetector"):
        KSDetector(columns=["colour"]).fit(_data(0, 300))
    with pytest.raises(InputError, match="method='auto'"):
        KSDetector().fit(_data(0, 300)[["colour", "member"]])


def test_bad_arguments_say_what_to_do() -> None:
    ref = _data(0, 100)
    with pytest.raises(InputError, match="method must be one of"):
        drift(ref, ref, method="magic")
    with pytest.raises(InputError, match="correction must be one of"):
        drift(ref, ref, correction="holm")
    with pytest.raises(InputError, match="alpha must be"):
        drift(ref, ref, alpha=5)
    with pytest.raises(InputError, match="not fitted"):
        ChiSquareDetector().test(ref)
    with pytest.raises(InputError, match="no columns"):
        ChiSquareDetector(columns=["nope"]).fit(ref)
    with pytest.raises(InputError, match="model="):
        drift(ref, ref, model=object())
    with pytest.raises(InputError, match="threshold must be"):
        ChiSquareDetector(threshold=-1).fit(ref)


def test_report_is_plain_json_and_renders_with_rich() -> None:
    report = drift(_data(0, 500), _data(1, 500, shift=1.0))
    d = report.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    assert set(d) >= {"drift_detected", "p_value", "score", "method", "columns", "multivariate"}
    assert set(d["columns"][0]) >= {
        "column",
        "method",
        "statistic",
        "p_value",
        "threshold",
        "drifted",
        "effect_size",
    }
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(report)
    text = out.getvalue()
    assert text.startswith(report.headline[:40]) and "moved away from the reference" in text
    assert "income" in text
    assert "wasserstein" in text


def test_multivariate_results_join_the_report() -> None:
    columns = WassersteinDetector().fit(_data(0, 300)).test(_data(1, 300))
    assert not columns.drift_detected
    from dataclasses import replace

    mmd = replace(columns, method="mmd", drift_detected=True, p_value=0.001, columns=[])
    report = DriftReport.from_results(columns, [mmd])
    assert report.drift_detected
    assert report.p_value == pytest.approx(min(1.0, 2 * min(columns.p_value, 0.001)))
    assert report.to_dict()["multivariate"][0]["method"] == "mmd"


def test_untestable_column_never_drifts() -> None:
    ref = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0)})
    cur = pd.DataFrame({"x": np.full(50, np.nan), "y": np.arange(50.0)})
    report = drift(ref, cur)
    x = next(c for c in report.columns if c.column == "x")
    assert not x.drifted
    assert x.p_value == 1.0
    assert report.to_dict()["columns"][0]["effect_size"] is None


@pytest.mark.parametrize("seed", range(5))
def test_corrections_match_scipy(seed: int) -> None:
    p = np.random.default_rng(seed).random(12) ** 3
    np.testing.assert_allclose(adjust(p, "bh"), sps.false_discovery_control(p, method="bh"))
    np.testing.assert_allclose(adjust(p, "bonferroni"), np.minimum(p * 12, 1))
    np.testing.assert_array_equal(adjust(p, "none"), p)


def test_docstring_examples_run() -> None:
    import doctest

    import driftline.drift._api
    import driftline.drift._ks

    for module in (driftline.drift._api, driftline.drift._ks):
        result = doctest.testmod(module)
        assert result.attempted > 0
        assert result.failed == 0


def test_public_surface_is_explicit_and_light() -> None:
    import subprocess
    import sys

    import driftline.drift
    import driftline.stats

    assert set(driftline.stats.__all__) == {
        "KINDS",
        "ColumnProfile",
        "Kind",
        "KnownValues",
        "Moments",
        "Profile",
        "Reservoir",
        "is_numeric_kind",
        "kind_of",
        "numeric_values",
        "string_values",
    }
    assert {"drift", "DriftReport", "DriftResult", "ColumnDrift", "AutoDetector"} <= set(
        driftline.drift.__all__
    )
    for name in driftline.drift.__all__:
        assert hasattr(driftline.drift, name)
    code = (
        "import sys, driftline.stats, driftline.drift; "
        "print(sorted(m for m in ('polars', 'rich', 'pyarrow.parquet') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
