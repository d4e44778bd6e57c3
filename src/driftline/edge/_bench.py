"""What each runtime costs: latency and throughput per batch size, with agreement beside it.

The table a person reads to choose between cost and accuracy: for each form
of one version (scikit-learn, ONNX, ONNX int8, ONNX float16 weights, and the
compiled trees when Treelite is installed), the p50 and p99 of one call and
the rows answered per second at batch sizes 1, 32 and 1024, in this process,
one thread each, and how often the form answers as the original.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from driftline import registry
from driftline.edge._forms import (
    Form,
    compiled_form,
    onnx_bytes,
    onnx_form,
    quantized,
    sklearn_form,
)
from driftline.edge._measure import Agreement, Timing, agreement, check_rows, tile, time_calls
from driftline.errors import InputError

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["BATCH_SIZES", "BenchReport", "RuntimeBench", "bench"]

BATCH_SIZES = (1, 32, 1024)


@dataclasses.dataclass(frozen=True)
class RuntimeBench:
    """One runtime: its size, its agreement with the original, its timings per batch size."""

    runtime: str
    size: int
    agreement: Agreement
    timings: list[Timing]
    note: str = ""
    build_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["agreement"] = self.agreement.to_dict()
        d["timings"] = [t.to_dict() for t in self.timings]
        return d


@dataclasses.dataclass(frozen=True)
class BenchReport:
    """Every runtime of one version measured on the same rows and the same machine."""

    ref: str
    checked_on: str
    runtimes: list[RuntimeBench]
    skipped: list[str]  # runtimes not measured, each a sentence saying why
    load: float  # the machine's one-minute load average at the start

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "checked_on": self.checked_on,
            "load": self.load,
            "runtimes": [r.to_dict() for r in self.runtimes],
            "skipped": self.skipped,
        }


def _forms(ctx: Context, ref: str, compiled: bool) -> tuple[list[Form], list[str], bool]:
    mv = registry.get(ctx, ref)
    signature = mv.signature
    classifier = bool(signature and signature.output and signature.output.task == "classification")
    base = onnx_bytes(ctx, mv)
    forms = [onnx_form("onnx", base, classifier)]
    skipped = []
    if mv.flavor != "onnx":
        model = registry.load_model(ctx, mv)
        forms.insert(0, sklearn_form(model, mv.artifact_size, classifier))
        if compiled:
            made = compiled_form(model, mv, classifier)
            if isinstance(made, str):
                skipped.append(made)
            else:
                forms.append(made)
    for how in ("int8", "float16"):
        graph, note = quantized(base, how)
        if note:  # the same graph as "onnx": measuring it again says nothing new
            skipped.append(f"onnx-{how}: {note}")
        else:
            forms.append(onnx_form(f"onnx-{how}", graph, classifier))
    return forms, skipped, classifier


def _timed(form: Form, batch: pd.DataFrame, seconds: float) -> Timing:
    return time_calls(lambda: form.predict(batch), len(batch), seconds=seconds)


def bench(
    ctx: Context,
    ref: str,
    *,
    data: Any = None,
    batch_sizes: Sequence[int] = BATCH_SIZES,
    seconds: float = 0.5,
    compiled: bool = True,
) -> BenchReport:
    """Measure every runtime of ``ref`` at each batch size, on ``data`` or the training sample."""
    sizes = list(batch_sizes)
    if not sizes or any(isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in sizes):
        raise InputError(f"batch sizes must be whole numbers from 1, got {sizes}")
    load = os.getloadavg()[0]
    mv = registry.get(ctx, ref)
    rows, where = check_rows(ctx, mv, data)
    forms, skipped, classifier = _forms(ctx, ref, compiled)
    original = forms[0].predict(rows)
    results = []
    try:
        for form in forms:
            agree = agreement(original, form.predict(rows), classifier)
            timings = [_timed(form, tile(rows, size), seconds) for size in sizes]
            results.append(
                RuntimeBench(form.name, form.size, agree, timings, form.note, form.build_seconds)
            )
    finally:
        for form in forms:
            if form.folder is not None:
                shutil.rmtree(form.folder, ignore_errors=True)
    return BenchReport(mv.ref, where, results, skipped, load)
