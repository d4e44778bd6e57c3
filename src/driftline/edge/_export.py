"""Export a version as a bundle that runs without driftline: model, signature, runner, README.

The bundle is checked before it is written: each form (the original, its ONNX
conversion, the quantized graph asked for) answers the same rows, and the
form exported must agree with the original on at least ``min_agreement`` of
them, or nothing is written. The folder appears whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline import audit, registry
from driftline.edge._forms import Form, onnx_bytes, onnx_form, quantized, sklearn_form
from driftline.edge._measure import agreement, check_rows, tile, time_calls
from driftline.edge._readme import readme
from driftline.edge._report import ExportReport, FormReport
from driftline.edge._words import refused_sentence
from driftline.errors import InputError

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["DEFAULT_MIN_AGREEMENT", "ExportReport", "FormReport", "export"]

DEFAULT_MIN_AGREEMENT = 0.995
RUNNER = Path(__file__).with_name("_runner.py")


def measure(form: Form, original: Any, rows: Any, classifier: bool, seconds: float) -> FormReport:
    """A form's agreement with the original's answers on ``rows``, and its speed."""
    got = form.predict(rows)
    one, batch = rows.iloc[:1], tile(rows, 1024)
    return FormReport(
        name=form.name,
        size=form.size,
        agreement=agreement(original, got, classifier),
        p50_ms_one_row=time_calls(lambda: form.predict(one), 1, seconds=seconds).p50_ms,
        rows_per_second=time_calls(
            lambda: form.predict(batch), 1024, seconds=seconds
        ).rows_per_second,
        note=form.note,
    )


def export(
    ctx: Context,
    ref: str,
    out: str | os.PathLike[str],
    *,
    format: str = "onnx",
    quantize: str | None = None,
    data: Any = None,
    min_agreement: float = DEFAULT_MIN_AGREEMENT,
    overwrite: bool = False,
    actor: str | None = None,
) -> ExportReport:
    """Write ``ref`` to the folder ``out`` as a bundle that runs with onnxruntime and numpy alone.

    ``quantize`` (``int8`` or ``float16``) makes the graph smaller; it must still
    answer as the original on ``min_agreement`` of the rows checked: ``data``
    (rows the model did not train on) or else the training sample.
    """
    if format != "onnx":
        raise InputError(f"--format must be onnx (the only format a bundle has), got {format!r}")
    if not 0 <= min_agreement <= 1:
        raise InputError(
            f"--min-agreement must be a share between 0 and 1 (0.995 is 99.5%), got {min_agreement}"
        )
    folder = Path(out)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())) and not overwrite:
        raise InputError(
            f"{str(folder)!r} exists and is not empty; choose a new folder or pass --overwrite"
        )
    mv = registry.get(ctx, ref)
    rows, where = check_rows(ctx, mv, data)
    signature = mv.signature
    classifier = bool(signature and signature.output and signature.output.task == "classification")
    base = onnx_bytes(ctx, mv)
    forms = [onnx_form("onnx", base, classifier)]
    if mv.flavor != "onnx":
        forms.insert(0, sklearn_form(registry.load_model(ctx, mv), mv.artifact_size, classifier))
    if quantize is not None:
        graph, note = quantized(base, quantize)
        forms.append(onnx_form(f"onnx-{quantize}", graph, classifier, note))
    original = forms[0].predict(rows)
    reports = [measure(f, original, rows, classifier, 0.3) for f in forms]
    chosen, graph = reports[-1], forms[-1].onnx or base
    if chosen.agreement.share < min_agreement:
        raise InputError(
            refused_sentence(
                mv.ref, chosen.name, chosen.agreement.share, chosen.agreement.rows, min_agreement
            )
        )
    digest = hashlib.sha256(graph).hexdigest()
    report = ExportReport(mv.ref, folder, chosen.name, min_agreement, where, reports, digest)
    spec = {
        **(signature.to_dict() if signature else {}),
        "model": {
            "name": mv.name,
            "version": mv.version,
            "ref": mv.ref,
            "form": chosen.name,
            "sha256": digest,
            "agreement": chosen.agreement.share,
            "checked_on": where,
            "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    }
    _write(folder, graph, spec, readme(mv, report), overwrite)
    with ctx.db.write() as s:
        audit.append(
            s,
            actor=actor or ctx.settings.actor,
            action="model.export",
            subject=mv.ref,
            payload={"form": chosen.name, "sha256": digest, "agreement": chosen.agreement.share},
        )
    return report


def _write(folder: Path, graph: bytes, spec: dict[str, Any], text: str, overwrite: bool) -> None:
    """Write the bundle beside ``folder`` and move it in place: whole or not at all."""
    parent = folder.resolve().parent
    staging: Path | None = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=parent))
        (staging / "model.onnx").write_bytes(graph)
        (staging / "signature.json").write_text(json.dumps(spec, indent=2) + "\n")
        shutil.copyfile(RUNNER, staging / "run.py")
        (staging / "requirements.txt").write_text("onnxruntime\nnumpy\n")
        (staging / "README.md").write_text(text)
        if folder.exists() and overwrite:
            shutil.rmtree(folder)
        elif folder.exists():
            folder.rmdir()  # empty, checked above
        staging.rename(folder)
    except OSError as exc:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise InputError(f"cannot write the bundle to {str(folder)!r}: {exc.strerror}") from exc
