#!/usr/bin/env python3
"""Score a CSV or JSON-lines file with the model beside this file; needs only numpy and onnxruntime.

    python run.py rows.csv                          # answers to stdout, as CSV
    python run.py rows.jsonl --out answers.csv      # or .jsonl
    python run.py rows.csv --check                  # check the rows only

Rows are checked against signature.json by driftline's rules: every column
present, none unexpected, the right kind, no missing value where training had
none. The first wrong field stops the run with one sentence naming its column
and row (rows count from 0, the first row after the header). Each prediction is
appended to log/predictions.log (its inputs, answer, time, model version and
an id); the file is rotated at --log-bytes and --log-files old ones are kept,
so the log never outgrows their sum. ``driftline ingest`` brings these files
back into the model's inference log, once each, whatever is sent twice.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
LOG_NAME = "predictions.log"
# Arrow's CSV reader, which driftline reads files with, takes these as missing or true/false.
NULLS = frozenset(
    {
        *("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND"),
        *("1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null"),
    }
)
TRUE, FALSE = frozenset({"1", "True", "TRUE", "true"}), frozenset({"0", "False", "FALSE", "false"})
INT64 = 2**63
NUMERIC = ("integer", "number", "boolean")


class BadInput(ValueError):
    """Rows that do not match the signature, or a file that cannot be read; one sentence."""


def read_rows(path: Path) -> tuple[list[str], list[list[Any]]]:
    """Column names and rows of a CSV (values as text, None for missing) or JSON-lines file."""
    if not path.is_file():
        raise BadInput(
            f"there is no file at {str(path)!r}; give the CSV or JSON-lines file to score"
        )
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        records = []
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise BadInput(f"line {number + 1} of {path.name} is not JSON: {exc}") from exc
                if not isinstance(record, dict):
                    raise BadInput(f"line {number + 1} of {path.name} must be a JSON object")
                records.append(record)
        names = list(dict.fromkeys(k for r in records for k in r))
        return names, [[r.get(n) for n in names] for r in records]
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
        header = next(reader, [])
        rows = [[None if v in NULLS else v for v in row] for row in reader if row]
    return header, rows


class Bundle:
    """The model, its signature and its log, loaded once."""

    def __init__(self, folder: Path = HERE, *, threads: int = 1) -> None:
        import onnxruntime as ort

        self.folder = Path(folder)
        spec = json.loads((self.folder / "signature.json").read_text(encoding="utf-8"))
        self.columns: list[dict[str, Any]] = spec["columns"]
        self.names = [c["name"] for c in self.columns]
        self.output = spec.get("output") or {}
        self.model = spec.get("model") or {}
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(self.folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = self.session.get_inputs()

    # -- checking ----------------------------------------------------------------

    def check(self, header: list[str], rows: list[list[Any]]) -> dict[str, list[Any]]:
        """Typed columns in signature order; raises BadInput at the first wrong field."""
        missing = [n for n in self.names if n not in header]
        if missing:
            raise BadInput(
                f"missing column(s) {', '.join(map(repr, missing))}; expected: {', '.join(self.names)}"
            )
        extra = [h for h in header if h not in self.names]
        if extra:
            raise BadInput(
                f"unexpected column(s) {', '.join(map(repr, extra))}; expected only: {', '.join(self.names)}"
            )
        at = {name: header.index(name) for name in self.names}
        out = {}
        for spec in self.columns:
            values = [
                row[at[spec["name"]]] if at[spec["name"]] < len(row) else None for row in rows
            ]
            out[spec["name"]] = _typed(spec, values)
        return out

    # -- scoring -----------------------------------------------------------------

    def feed(self, columns: dict[str, list[Any]]) -> dict[str, np.ndarray]:
        """The model's inputs: one matrix of numbers, or one [n, 1] tensor per column."""
        if len(self.inputs) == 1:
            matrix = np.column_stack([_numbers(columns[n]) for n in self.names])
            return {self.inputs[0].name: matrix.astype(_dtype(self.inputs[0].type))}
        feed = {}
        for node in self.inputs:
            values = columns[node.name]
            if "string" in node.type:
                feed[node.name] = np.array(
                    ["" if v is None else str(v) for v in values], dtype=object
                ).reshape(-1, 1)
            else:
                feed[node.name] = _numbers(values).astype(_dtype(node.type)).reshape(-1, 1)
        return feed

    def predict(self, columns: dict[str, list[Any]]) -> tuple[list[Any], list[list[float]] | None]:
        """Labels (or values), and class probabilities for a classifier."""
        outputs = self.session.run(None, self.feed(columns))
        labels = [_plain(v) for v in np.asarray(outputs[0]).ravel().tolist()]
        if self.output.get("task") != "classification" or len(outputs) < 2:
            return labels, None
        probs = outputs[1]
        if isinstance(probs, list):  # a ZipMap output: one dict per row
            keys = sorted(probs[0]) if probs else []
            return labels, [[float(row[k]) for k in keys] for row in probs]
        return labels, np.asarray(probs, dtype=float).tolist()


def _typed(spec: dict[str, Any], values: list[Any]) -> list[Any]:
    """Values of one column as its kind wants them, checked as driftline checks them."""
    kind, name = spec["kind"], spec["name"]
    out: list[Any] = []
    for row, value in enumerate(values):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if not spec.get("nullable"):
                raise BadInput(
                    f"column {name!r} must not be missing (it never was in training), "
                    f"got a missing value in row {row}"
                )
            out.append(None)
        elif kind in ("integer", "number"):
            out.append(_number(name, kind, value, row))
        elif kind == "boolean":
            if isinstance(value, str) and value in TRUE | FALSE:
                value = value in TRUE
            if not isinstance(value, bool):
                raise BadInput(f"column {name!r} must be true or false, got {value!r} in row {row}")
            out.append(value)
        elif not isinstance(value, str):
            raise BadInput(f"column {name!r} must be text, got {value!r} in row {row}")
        else:
            out.append(value)
    return out


def _number(name: str, kind: str, value: Any, row: int) -> int | float:
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            try:
                value = float(value)
            except ValueError:
                raise BadInput(
                    f"column {name!r} must be a number, got {value!r} in row {row}"
                ) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadInput(f"column {name!r} must be a number, got {value!r} in row {row}")
    if isinstance(value, float) and math.isinf(value):
        raise BadInput(
            f"column {name!r} must be a finite number, got {value!r} in row {row}; send a real value"
        )
    if kind == "integer":
        if isinstance(value, float) and value != math.floor(value):
            raise BadInput(f"column {name!r} must be a whole number, got {value!r} in row {row}")
        if not -INT64 <= value < INT64:
            raise BadInput(
                f"column {name!r} must be a whole number between {-INT64} and {INT64 - 1}, "
                f"got {value!r} in row {row}"
            )
        return int(value)
    return value


def _numbers(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _dtype(onnx_type: str) -> type:
    if "double" in onnx_type:
        return np.float64
    if "int64" in onnx_type:
        return np.int64
    return np.float32


def _plain(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


# -- the prediction log --------------------------------------------------------


class Log:
    """predictions.log, rotated before it passes ``max_bytes``; ``keep`` old files kept."""

    def __init__(self, folder: Path, *, max_bytes: int = 10_000_000, keep: int = 5) -> None:
        self.folder, self.max_bytes, self.keep = Path(folder), max_bytes, keep
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / LOG_NAME

    def write(self, lines: Iterator[str]) -> None:
        size = self.path.stat().st_size if self.path.exists() else 0
        chunk: list[bytes] = []
        taken = 0
        for line in lines:
            data = (line + "\n").encode("utf-8")
            if size + taken + len(data) > self.max_bytes and (size or taken):
                self._append(chunk)
                self._rotate()
                size, taken, chunk = 0, 0, []
            chunk.append(data)
            taken += len(data)
        self._append(chunk)

    def _append(self, chunk: list[bytes]) -> None:
        if chunk:
            with open(self.path, "ab") as f:
                f.write(b"".join(chunk))
                f.flush()
                os.fsync(f.fileno())

    def _rotate(self) -> None:
        oldest = self.folder / f"{LOG_NAME}.{self.keep}"
        oldest.unlink(missing_ok=True)
        for i in range(self.keep - 1, 0, -1):
            older = self.folder / f"{LOG_NAME}.{i}"
            if older.exists():
                os.replace(older, self.folder / f"{LOG_NAME}.{i + 1}")
        if self.keep:
            os.replace(self.path, self.folder / f"{LOG_NAME}.1")
        else:
            self.path.unlink(missing_ok=True)


def records(
    bundle: Bundle,
    columns: dict[str, list[Any]],
    ids: list[str],
    labels: list[Any],
    probs: list[list[float]] | None,
    seconds: float,
) -> Iterator[str]:
    """One JSON line per prediction, as ``driftline ingest`` reads them."""
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    latency = round(seconds * 1000 / max(1, len(ids)), 4)
    for i, rid in enumerate(ids):
        yield json.dumps(
            {
                "id": rid,
                "time": now,
                "model": bundle.model.get("name"),
                "version": bundle.model.get("version"),
                "latency_ms": latency,
                "inputs": {n: columns[n][i] for n in bundle.names},
                "prediction": labels[i],
                "probabilities": probs[i] if probs is not None else None,
            },
            separators=(",", ":"),
        )


def write_answers(
    out: Any, as_json: bool, ids: list[str], labels: list[Any], probs: Any, classes: list[Any]
) -> None:
    names = [f"probability_{c}" for c in classes] if probs is not None else []
    if as_json:
        for i, rid in enumerate(ids):
            row = {
                "id": rid,
                "prediction": labels[i],
                **{name: probs[i][k] for k, name in enumerate(names)},
            }
            out.write(json.dumps(row) + "\n")
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "prediction", *names])
    for i, rid in enumerate(ids):
        writer.writerow([rid, labels[i], *(repr(p) for p in (probs[i] if probs else []))])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", type=Path, help="CSV (or .tsv) or JSON-lines file of rows")
    parser.add_argument("--out", type=Path, help="where answers go (.csv or .jsonl); else stdout")
    parser.add_argument("--check", action="store_true", help="check the rows, score nothing")
    parser.add_argument("--log-dir", type=Path, default=HERE / "log")
    parser.add_argument("--log-bytes", type=int, default=10_000_000)
    parser.add_argument("--log-files", type=int, default=5)
    parser.add_argument("--no-log", action="store_true", help="do not log the predictions")
    args = parser.parse_args(argv)
    try:
        bundle = Bundle()
        header, rows = read_rows(args.input)
        columns = bundle.check(header, rows)
        if args.check:
            print(f"{len(rows)} rows match the signature of {bundle.model.get('ref')}")
            return 0
        started = time.perf_counter()
        labels, probs = bundle.predict(columns) if rows else ([], None)
        seconds = time.perf_counter() - started
        ids = [uuid.uuid4().hex for _ in rows]
        if not args.no_log:
            Log(args.log_dir, max_bytes=args.log_bytes, keep=args.log_files).write(
                records(bundle, columns, ids, labels, probs, seconds)
            )
        classes = list(bundle.output.get("classes") or [])
        as_json = args.out is not None and args.out.suffix.lower() in (".jsonl", ".json")
        if args.out is None:
            write_answers(sys.stdout, False, ids, labels, probs, classes)
        else:
            with open(args.out, "w", encoding="utf-8", newline="") as f:
                write_answers(f, as_json, ids, labels, probs, classes)
    except (BadInput, OSError) as exc:
        print(f"run.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
