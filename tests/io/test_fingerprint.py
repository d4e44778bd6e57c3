"""A data fingerprint: the same rows give the same hash, whatever they were read from."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from driftline.io import fingerprint, read_frame


def frame() -> pd.DataFrame:
    return pd.DataFrame({"age": [31, 45, 27], "plan": ["basic", "pro", None]})


def test_same_rows_same_hash_and_any_change_shows() -> None:
    a = fingerprint(frame())
    assert a.startswith("sha256:") and len(a) == len("sha256:") + 64
    assert fingerprint(frame()) == a
    assert fingerprint(frame().iloc[::-1].reset_index(drop=True)) != a  # row order
    assert fingerprint(frame().rename(columns={"age": "years"})) != a  # names
    assert fingerprint(frame().astype({"age": "float64"})) != a  # types
    changed = frame()
    changed.loc[1, "plan"] = "basic"
    assert fingerprint(changed) != a


def test_a_file_hashes_as_the_frame_read_from_it(tmp_path: Path) -> None:
    frame().to_csv(tmp_path / "t.csv", index=False)
    frame().to_parquet(tmp_path / "t.parquet")
    from_csv = fingerprint(tmp_path / "t.csv")
    assert from_csv == fingerprint(read_frame(tmp_path / "t.csv"))
    assert fingerprint(tmp_path / "t.parquet") == fingerprint(read_frame(tmp_path / "t.parquet"))
    assert fingerprint(pa.Table.from_pandas(frame())) == fingerprint(
        read_frame(pa.Table.from_pandas(frame()))
    )


def test_the_hash_did_not_change_when_the_function_moved() -> None:
    # Lineage stored by earlier versions is compared with new fingerprints: keep the bytes.
    assert fingerprint(frame()) == (
        "sha256:e2342a027502d4ff0ce5ae12cd75a6d4d30b54b17851644c4daa7e5044f0b29b"
    )
