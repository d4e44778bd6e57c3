"""The README of a bundle: what it is, how to run it, what it expects, how far it agrees."""

from __future__ import annotations

from typing import TYPE_CHECKING

from driftline.edge._words import share, size

if TYPE_CHECKING:
    from driftline.edge._report import ExportReport
    from driftline.registry import ModelVersion

__all__ = ["readme"]


def _column(kind: str, nullable: bool, low: float | None, high: float | None, cats: int) -> str:
    seen = ""
    if low is not None and high is not None:
        seen = f"; {low:g} to {high:g} in training"
    elif cats:
        seen = f"; {cats} categories in training"
    return f"{kind}{', may be missing' if nullable else ''}{seen}"


def readme(mv: ModelVersion, report: ExportReport) -> str:
    signature = mv.signature
    columns = "\n".join(
        f"| `{c.name}` | {_column(c.kind, c.nullable, c.min, c.max, len(c.categories or ()))} |"
        for c in (signature.columns if signature else ())
    )
    output = signature.output if signature else None
    answers = "a number"
    if output is not None and output.task == "classification":
        classes = ", ".join(map(str, output.classes or ()))
        answers = f"one of {classes}, with a probability per class"
    forms = "\n".join(
        f"| {f.name} | {size(f.size)} | {share(f.agreement.share)} | {f.p50_ms_one_row:.3f} | "
        f"{f.rows_per_second:,.0f} |"
        for f in report.forms
    )
    notes = "".join(f"\n- {f.name}: {f.note}" for f in report.forms if f.note)
    return f"""# {mv.name} version {mv.version}, exported as {report.form}

A self-contained copy of the model `{mv.ref}` that runs without driftline:
Python 3.9 or newer with `onnxruntime` and `numpy` (`pip install -r requirements.txt`).

```console
python run.py rows.csv                      # answers to stdout, as CSV
python run.py rows.jsonl --out answers.csv  # JSON lines in, CSV out (or --out answers.jsonl)
python run.py rows.csv --check              # check the rows only
```

Each answer is {answers}, with an `id` that names the prediction.

## What it expects

Rows are checked as driftline checks them: every column below present, no
other, each of its kind, none missing where training had none. The first wrong
field stops the run with one sentence naming its column and row (rows count
from 0, the first after the header). Values outside the training range and
unseen categories are answered; monitoring reports them once the log comes back.

| column | kind |
| --- | --- |
{columns}

## The log

Every prediction is appended to `log/predictions.log` as a JSON line: `id`,
`time` (UTC), `model`, `version`, `latency_ms`, `inputs`, `prediction`,
`probabilities`. Past `--log-bytes` (10 MB) the file is rotated to
`predictions.log.1`, `.2`, ... and `--log-files` (5) old files are kept, so the
log stays under their sum. Copy the folder back and run

```console
driftline ingest {mv.name}@ALIAS log/
```

to bring them into the model's inference log, where monitoring watches them
as it watches served traffic. Each prediction is taken once, by its `id`,
however often a file is sent.

## How far it agrees with the original

Checked on {report.checked_on}; the export required {share(report.min_agreement)}.

| form | size | agrees | ms per single row (p50) | rows/s in batches of 1024 |
| --- | ---: | ---: | ---: | ---: |
{forms}
{notes}

`model.onnx` has sha256 `{report.sha256}`.
"""
