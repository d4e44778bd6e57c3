"""Batch scoring in this process: outputs, rejects, keys, formats, profiles, log, audit, refusals."""

from __future__ import annotations

import fcntl
import hashlib
import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from driftline import Workspace, audit
from driftline.batch import score
from driftline.errors import ConflictError, InputError, SchemaError
from driftline.io import read_frame
from driftline.registry import ModelRuntime
from driftline.stats import Profile
from driftline.store import InferenceLog

Rows = Callable[[int, int], pd.DataFrame]


def expected(ws: Workspace, ref: str, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    runtime = ModelRuntime.load(ws.context, ref)
    prediction = runtime.predict(runtime.prepare(rows[runtime.names]))
    return prediction.labels, prediction.probabilities


def test_every_row_is_scored_beside_its_row_number(
    ws: Workspace, tmp_path: Path, shop_rows: Rows
) -> None:
    rows = shop_rows(2_500, 3)
    rows.to_parquet(tmp_path / "in.parquet")
    run = ws.batch_score(
        "shop@champion", input=tmp_path / "in.parquet", output=tmp_path / "out", chunk_rows=1_000
    )
    out = read_frame(tmp_path / "out")
    labels, probs = expected(ws, "shop:1", rows)
    assert (run.rows, run.scored, run.rejected, run.partitions) == (2_500, 2_500, 0, 3)
    assert out["row"].tolist() == list(range(2_500))
    assert out["prediction"].tolist() == labels.tolist()
    assert probs is not None
    np.testing.assert_allclose(out[["probability_no", "probability_yes"]].to_numpy(), probs)
    assert sorted(p.name for p in (tmp_path / "out").glob("part-*")) == [
        "part-000000.parquet",
        "part-000001.parquet",
        "part-000002.parquet",
    ]


def test_rows_that_break_the_signature_are_set_aside_with_their_reason(
    ws: Workspace, tmp_path: Path, shop_rows: Rows
) -> None:
    rows = shop_rows(3_000, 4)
    rows["colour"] = rows["colour"].astype(object)
    rows.loc[10, "colour"] = None
    rows.loc[1_500, "price"] = np.inf
    rows["size"] = rows["size"].astype(float)
    rows.loc[2_999, "size"] = 2.5  # the column becomes float: whole numbers still pass
    rows.to_parquet(tmp_path / "in.parquet")
    run = score(
        ws.context,
        "shop@champion",
        input=tmp_path / "in.parquet",
        output=tmp_path / "out",
        chunk_rows=1_000,
    )
    assert (run.scored, run.rejected) == (2_997, 3)
    rejects = read_frame(tmp_path / "out" / "_rejects").sort_values("row")
    assert rejects["row"].tolist() == [10, 1_500, 2_999]
    assert rejects["reason"].tolist() == [
        "column 'colour' must not be missing (it never was in training), got a missing value",
        "column 'price' must be a finite number, got inf; send a real value",
        "column 'size' must be a whole number, got 2.5",
    ]
    assert rejects["price"].iloc[0] == rows.loc[10, "price"]  # the row as it came in
    out = read_frame(tmp_path / "out")
    assert set(out["row"]) == set(range(3_000)) - {10, 1_500, 2_999}
    good = rows.drop(index=[10, 1_500, 2_999])
    good["size"] = good["size"].astype("int64")
    labels, _ = expected(ws, "shop:1", good.reset_index(drop=True))
    assert out["prediction"].tolist() == labels.tolist()


def test_a_partition_with_a_reject_scores_its_other_rows_to_the_same_bits(
    ws: Workspace, tmp_path: Path, shop_rows: Rows
) -> None:
    # A partition whose rows all pass goes to the model column by column; one with a
    # reject goes through the frame and its row checks. Both must write the same answers.
    rows = shop_rows(2_000, 8)
    rows.to_parquet(tmp_path / "clean.parquet")
    spoiled = rows.copy()
    spoiled["colour"] = spoiled["colour"].astype(object)
    spoiled.loc[1_000, "colour"] = None  # the second partition only
    spoiled.to_parquet(tmp_path / "spoiled.parquet")
    for name in ("clean", "spoiled"):
        ws.batch_score(
            "shop@champion",
            input=tmp_path / f"{name}.parquet",
            output=tmp_path / f"out-{name}",
            chunk_rows=1_000,
        )
    clean, spoiled_out = read_frame(tmp_path / "out-clean"), read_frame(tmp_path / "out-spoiled")
    assert spoiled_out["row"].tolist() == [r for r in range(2_000) if r != 1_000]
    kept = clean[clean["row"] != 1_000].reset_index(drop=True)
    assert spoiled_out["prediction"].tolist() == kept["prediction"].tolist()
    for column in ("probability_no", "probability_yes"):
        assert np.array_equal(spoiled_out[column].to_numpy(), kept[column].to_numpy())
    first = "part-000000.parquet"  # the same rows, all passing, in both runs
    assert (tmp_path / "out-clean" / first).read_bytes() == (
        tmp_path / "out-spoiled" / first
    ).read_bytes()


def test_a_partition_of_rejects_only_keeps_the_output_readable(
    ws: Workspace, tmp_path: Path, shop_rows: Rows
) -> None:
    rows = shop_rows(900, 14)
    rows.loc[300:599, "price"] = np.inf  # the whole second partition
    rows.to_parquet(tmp_path / "in.parquet")
    run = score(
        ws.context,
        "shop@champion",
        input=tmp_path / "in.parquet",
        output=tmp_path / "out",
        chunk_rows=300,
    )
    assert (run.scored, run.rejected, run.partitions) == (600, 300, 3)
    out = read_frame(tmp_path / "out")
    assert out["row"].tolist() == [*range(300), *range(600, 900)]
    assert out.columns.tolist() == ["row", "prediction", "probability_no", "probability_yes"]


def test_a_key_column_csv_in_and_csv_out(ws: Workspace, tmp_path: Path, shop_rows: Rows) -> None:
    rows = shop_rows(1_200, 5).assign(customer=[f"c{i:05d}" for i in range(1_200)])
    rows.to_csv(tmp_path / "in.csv", index=False)
    run = score(
        ws.context,
        "shop@champion",
        input=tmp_path / "in.csv",
        output=tmp_path / "scores.csv",
        key="customer",
        chunk_rows=500,
    )
    assert run.partitions == 3
    files = sorted((tmp_path / "scores.csv").glob("part-*"))
    assert [f.suffix for f in files] == [".csv"] * 3
    out = read_frame(tmp_path / "scores.csv")
    assert out.columns.tolist() == ["customer", "prediction", "probability_no", "probability_yes"]
    assert out["customer"].tolist() == rows["customer"].tolist()


def test_the_same_rows_give_the_same_bytes_whatever_the_files(
    ws: Workspace, tmp_path: Path, forest_rows: Rows
) -> None:
    rows = forest_rows(3_000, 6)
    rows.to_parquet(tmp_path / "one.parquet")
    (tmp_path / "many").mkdir()
    for i, start in enumerate((0, 700, 1_900)):
        stop = {0: 700, 700: 1_900, 1_900: 3_000}[start]
        rows.iloc[start:stop].to_parquet(tmp_path / "many" / f"f{i}.parquet")
    a = score(
        ws.context,
        "forest@champion",
        input=tmp_path / "one.parquet",
        output=tmp_path / "a",
        chunk_rows=1_000,
    )
    b = score(
        ws.context,
        "forest@champion",
        input=tmp_path / "many",
        output=tmp_path / "b",
        chunk_rows=1_000,
    )
    assert a.manifest_digest == b.manifest_digest
    for f in (tmp_path / "a").glob("part-*"):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()


def test_the_profile_of_the_scored_rows_is_stored_beside_them(
    ws: Workspace, tmp_path: Path, shop_rows: Rows
) -> None:
    rows = shop_rows(2_000, 7)
    rows.to_parquet(tmp_path / "in.parquet")
    run = score(
        ws.context,
        "shop@champion",
        input=tmp_path / "in.parquet",
        output=tmp_path / "out",
        chunk_rows=600,
    )
    assert run.profile == str(tmp_path / "out" / "_profile.json")
    merged = Profile.from_dict(json.loads(Path(run.profile).read_text()))
    parts = [
        Profile.from_dict(json.loads(p.read_text()))
        for p in sorted((tmp_path / "out" / "_profiles").glob("*.json"))
    ]
    assert [p.n_rows for p in parts] == [600, 600, 600, 200]
    assert merged.n_rows == 2_000
    # The profile of the whole, built in one go against the same reference, agrees.
    labels, _ = expected(ws, "shop:1", rows)
    whole = Profile.build(rows.assign(label=labels), reference=ws.load_profile("shop:1"))
    for name in ("colour", "size", "price", "label"):
        got, want = merged.columns[name].to_dict(), whole.columns[name].to_dict()
        assert got["missing"] == want["missing"], name
        counts = "histogram" if got["kind"] == "numeric" else "category_counts"
        assert got[counts] == want[counts], name
    assert merged.columns["price"].mean == pytest.approx(whole.columns["price"].mean)


def test_log_sends_every_prediction_to_the_inference_log(
    ws: Workspace, tmp_path: Path, shop_rows: Rows
) -> None:
    rows = shop_rows(900, 8)
    rows.loc[3, "price"] = -np.inf
    rows.to_parquet(tmp_path / "in.parquet")
    run = score(
        ws.context,
        "shop@champion",
        input=tmp_path / "in.parquet",
        output=tmp_path / "out",
        chunk_rows=400,
        log=True,
    )
    log = InferenceLog.open(ws.context.settings)
    records = [r for r in log.records() if r.get("kind") == "prediction"]
    log.close()
    assert len(records) == run.scored == 899
    assert {r["route"] for r in records} == {"batch"}
    assert {(r["model"], r["version"]) for r in records} == {("shop", 1)}
    out = read_frame(tmp_path / "out")
    by_id = {r["request_id"]: r["prediction"] for r in records}
    ids = [f"batch-{run.input_fingerprint[7:19]}-{row}" for row in out["row"]]
    assert [by_id[i] for i in ids] == out["prediction"].tolist()
    table = InferenceLog.open(ws.context.settings).read("shop")
    assert table.num_rows == 899


def test_one_audit_event_per_run_and_a_finished_run_does_nothing(
    ws: Workspace, tmp_path: Path, shop_rows: Rows
) -> None:
    shop_rows(1_000, 9).to_parquet(tmp_path / "in.parquet")
    first = score(
        ws.context,
        "shop@champion",
        input=tmp_path / "in.parquet",
        output=tmp_path / "out",
        chunk_rows=300,
        actor="nightly",
    )
    stamp = (tmp_path / "out" / "part-000000.parquet").stat().st_mtime_ns
    again = score(
        ws.context,
        "shop@champion",
        input=tmp_path / "in.parquet",
        output=tmp_path / "out",
        chunk_rows=300,
    )
    assert not first.nothing_to_do and again.nothing_to_do
    assert again.sentence.startswith("Nothing to do: this job was finished before (1,000 rows")
    assert (tmp_path / "out" / "part-000000.parquet").stat().st_mtime_ns == stamp
    assert again.manifest_digest == first.manifest_digest
    events = [e for e in audit.events(ws.context.db) if e.action == "batch.score"]
    assert len(events) == 1
    event = events[0]
    assert (event.actor, event.subject, event.seq) == ("nightly", "shop:1", first.audit_seq)
    assert event.payload["input_fingerprint"] == first.input_fingerprint
    assert (event.payload["scored"], event.payload["rejected"]) == (1_000, 0)
    assert event.payload["manifest_digest"] == first.manifest_digest
    profile = tmp_path / "out" / "_profile.json"
    assert event.payload["profile"] == str(profile) and event.payload["profile_rows"] == 1_000
    assert event.payload["profile_sha256"] == hashlib.sha256(profile.read_bytes()).hexdigest()


def test_an_input_changed_since_is_refused(ws: Workspace, tmp_path: Path, shop_rows: Rows) -> None:
    rows = shop_rows(1_000, 10)
    rows.to_parquet(tmp_path / "in.parquet")
    score(ws.context, "shop@champion", input=tmp_path / "in.parquet", output=tmp_path / "out")
    rows.iloc[:999].to_parquet(tmp_path / "in.parquet")
    with pytest.raises(
        InputError,
        match=r"the input has changed since the run that wrote .* "
        r"started .*give a new --output",
    ):
        score(ws.context, "shop@champion", input=tmp_path / "in.parquet", output=tmp_path / "out")
    rows.to_parquet(tmp_path / "in.parquet")
    with pytest.raises(InputError, match="partitions of 100,000 rows, this run asks for 10"):
        score(
            ws.context,
            "shop@champion",
            input=tmp_path / "in.parquet",
            output=tmp_path / "out",
            chunk_rows=10,
        )


def test_refusals_name_what_is_wrong(ws: Workspace, tmp_path: Path, shop_rows: Rows) -> None:
    shop_rows(100, 11).drop(columns="price").to_parquet(tmp_path / "in.parquet")
    with pytest.raises(SchemaError, match="the input has no column 'price', which shop:1 needs"):
        score(ws.context, "shop@champion", input=tmp_path / "in.parquet", output=tmp_path / "o")
    shop_rows(100, 11).to_parquet(tmp_path / "in.parquet")
    with pytest.raises(InputError, match="--key 'id' is not a column of the input"):
        score(
            ws.context,
            "shop@champion",
            input=tmp_path / "in.parquet",
            output=tmp_path / "o",
            key="id",
        )
    (tmp_path / "inputs").mkdir()
    shop_rows(100, 11).to_parquet(tmp_path / "inputs" / "a.parquet")
    with pytest.raises(InputError, match="is inside the input folder, so its files would be read"):
        score(
            ws.context,
            "shop@champion",
            input=tmp_path / "inputs",
            output=tmp_path / "inputs" / "scores",
        )
    with pytest.raises(InputError, match="batch output is a folder of partitions"):
        score(
            ws.context,
            "shop@champion",
            input=tmp_path / "in.parquet",
            output=tmp_path / "in.parquet",
        )


def test_two_runs_never_write_one_folder_at_once(
    ws: Workspace, tmp_path: Path, shop_rows: Rows
) -> None:
    shop_rows(100, 12).to_parquet(tmp_path / "in.parquet")
    (tmp_path / "out").mkdir()
    with open(tmp_path / "out" / "_lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(ConflictError, match="another batch run is writing into"):
            score(
                ws.context, "shop@champion", input=tmp_path / "in.parquet", output=tmp_path / "out"
            )


class MemorySampler:
    """A progress listener that notes the memory Python holds after each partition."""

    def __init__(self) -> None:
        self.samples: list[int] = []

    def start(self, total: int | None, done: int) -> None:
        self.total = total

    def advance(self, rows: int) -> None:
        self.samples.append(tracemalloc.get_traced_memory()[0])


def test_memory_stays_flat_as_partitions_go_by(
    ws: Workspace, tmp_path: Path, forest_rows: Rows
) -> None:
    rows = forest_rows(200_000, 13)
    pa_bytes = pa.Table.from_pandas(rows).nbytes
    rows.to_parquet(tmp_path / "in.parquet", row_group_size=10_000)
    del rows
    sampler = MemorySampler()
    tracemalloc.start()
    try:
        score(
            ws.context,
            "forest@champion",
            input=tmp_path / "in.parquet",
            output=tmp_path / "out",
            chunk_rows=5_000,
            progress=sampler,
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sampler.total == 200_000
    assert len(sampler.samples) == 40
    # What is held after partition 40 is what was held after partition 5: nothing piles up.
    assert sampler.samples[-1] - sampler.samples[4] < pa_bytes / 20, sampler.samples
    assert peak < pa_bytes, (peak, pa_bytes)
