"""The same job on a real, local Ray (2 CPUs, started here): the same output as in process."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftline import Workspace
from driftline.batch import score
from driftline.stats import Profile

Rows = Callable[[int, int], pd.DataFrame]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    try:
        import ray
    except ImportError:
        reason = "Ray is not installed: pip install 'driftline[ray]'"
        if os.environ.get("DRIFTLINE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (DRIFTLINE_REQUIRE_SERVICES=1 requires it)")
        pytest.skip(reason)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


class Actors:
    """A progress listener; the Ray engine's actors are read from the run's partitions."""

    def __init__(self) -> None:
        self.rows = 0

    def start(self, total: int | None, done: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        self.rows += rows


@pytest.mark.slow
def test_ray_scores_as_the_local_engine_does_with_the_model_loaded_once_per_actor(
    local_ray: Any, ws: Workspace, tmp_path: Path, shop_rows: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    from driftline.batch import _ray

    rows = shop_rows(6_000, 31)
    rows["colour"] = rows["colour"].astype(object)
    rows.loc[[17, 4_321], "colour"] = None
    rows.to_parquet(tmp_path / "in.parquet")
    local = score(
        ws.context,
        "shop@champion",
        input=tmp_path / "in.parquet",
        output=tmp_path / "local",
        chunk_rows=500,
    )
    seen: list[str] = []
    original = _ray._decode

    def decode(row: dict[str, Any], sizes: Any) -> Any:
        seen.append(row["actor"])
        return original(row, sizes)

    monkeypatch.setattr(_ray, "_decode", decode)  # notes which actor scored each partition
    progress = Actors()
    on_ray = score(
        ws.context,
        "shop@champion",
        input=tmp_path / "in.parquet",
        output=tmp_path / "ray",
        chunk_rows=500,
        engine="ray",
        workers=2,
        progress=progress,
    )
    assert on_ray.engine == "ray" and progress.rows == 6_000
    assert (on_ray.scored, on_ray.rejected, on_ray.partitions) == (5_998, 2, 12)
    # Twelve partitions, two actors: each loaded the model once and scored several.
    assert len(seen) == 12 and len(set(seen)) <= 2
    assert on_ray.manifest_digest == local.manifest_digest
    for f in sorted((tmp_path / "local").rglob("part-*")):
        assert f.read_bytes() == (tmp_path / "ray" / f.relative_to(tmp_path / "local")).read_bytes()
    merged = Profile.from_dict(json.loads(Path(on_ray.profile or "").read_text()))
    assert merged.n_rows == 5_998
    assert (tmp_path / "ray" / "_profile.json").read_bytes() == (
        tmp_path / "local" / "_profile.json"
    ).read_bytes()


@pytest.mark.slow
def test_ray_resumes_what_the_local_engine_started(
    local_ray: Any, ws: Workspace, tmp_path: Path, forest_rows: Rows
) -> None:
    rows = forest_rows(4_000, 32)
    rows.to_parquet(tmp_path / "in.parquet")
    whole = score(
        ws.context,
        "forest@champion",
        input=tmp_path / "in.parquet",
        output=tmp_path / "whole",
        chunk_rows=1_000,
    )
    # A run that committed two partitions and stopped: its manifest names only those.
    out = tmp_path / "out"
    score(
        ws.context, "forest@champion", input=tmp_path / "in.parquet", output=out, chunk_rows=1_000
    )
    manifest = json.loads((out / "_manifest.json").read_text())
    manifest["parts"] = manifest["parts"][:2]
    manifest["complete"] = False
    (out / "_manifest.json").write_text(json.dumps(manifest))
    for name in ("part-000002.parquet", "part-000003.parquet"):
        (out / name).unlink()
    resumed = score(
        ws.context,
        "forest@champion",
        input=tmp_path / "in.parquet",
        output=out,
        chunk_rows=1_000,
        engine="ray",
    )
    assert resumed.resumed == 2 and resumed.partitions == 4
    assert resumed.manifest_digest == whole.manifest_digest
    labels = pd.read_parquet(out)["prediction"].to_numpy()
    assert np.array_equal(labels, pd.read_parquet(tmp_path / "whole")["prediction"].to_numpy())
