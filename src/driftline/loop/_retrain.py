"""Retraining: recent labelled traffic in, a registered candidate out, its lineage complete.

The data is the inference log's answers whose labels arrived within the
policy's window (plus any labelled file the policy names), split in time:
the newest ``holdout`` share is kept back to judge the candidate (the gate,
then the canary's expected accuracy), the rest is handed to the hook.

Every row taken from the log was answered by the model itself, and its label
may echo that answer (a loan refused has no repayment to observe). The
lineage says how many rows that is, which versions answered them, and how
often the label equals the answer, so whoever reads the candidate's card
knows how much of what it learned the model decided.

When the model's policy says ``[audit] require = "clean"``, the loop audits
the rows it is about to learn from (``driftline data audit``, recorded in the
audit chain as a person's audit is) before training on them: rows that fail
end the retraining with the audit's own sentence, and nothing is registered.

Registering is the step's one lasting effect, and it is idempotent: the
candidate's lineage names its loop run, so a retraining killed after
registering finds its candidate instead of training a second one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import importlib.util
import io
import math
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from driftline import dataaudit, registry
from driftline.errors import DriftlineError, InputError
from driftline.loop._checks import same
from driftline.loop._words import audit_failed_words

if TYPE_CHECKING:
    from driftline.loop._policy import LoopPolicy
    from driftline.loop._policy_parts import RetrainPolicy
    from driftline.loop._runs import LoopRun
    from driftline.registry import ModelVersion
    from driftline.store import Context

__all__ = ["evaluation_data", "find_candidate", "labelled_traffic", "retrain"]

_SUFFIX = {"sklearn": ".skops", "onnx": ".onnx", "pickle": ".pkl"}


def labelled_traffic(
    ctx: Context,
    model: str,
    features: list[str],
    target: str,
    *,
    since: dt.datetime,
    until: dt.datetime,
) -> pd.DataFrame:
    """Answers of ``model`` in ``[since, until)`` whose labels arrived, oldest first.

    Columns: the inputs, ``target`` (the label), and ``timestamp``, ``version``
    and ``prediction`` of the answer. Shadow copies are left out.
    """
    from driftline.store import InferenceLog

    reader = InferenceLog.open(ctx.settings).reader(model, since=since, until=until)
    table = reader.window(since, until, labels=True) if reader.days() else None
    if table is None or "label" not in table.column_names:
        return pd.DataFrame(columns=[*features, target])
    frame = table.to_pandas()
    frame = frame[frame["label"].notna() & (frame["route"] != "shadow")]
    missing = [c for c in features if c not in frame]
    if missing:
        raise InputError(
            f"the logged answers of {model} lack the input(s) {', '.join(missing)}, so they "
            "cannot be learned from; retrain by hand or give [retrain] data"
        )
    keep = [*features, "timestamp", "version", "prediction"]
    # Labels come back as the JSON they were posted in: whole numbers become integers again.
    out = frame[keep].assign(**{target: frame["label"].infer_objects()})
    return out.sort_values("timestamp", kind="stable").reset_index(drop=True)


def find_candidate(ctx: Context, model: str, run_id: int) -> ModelVersion | None:
    """The version a loop run registered, if it got that far."""
    for version in reversed(registry.list_versions(ctx, model)):
        if version.lineage.get("loop_run") == run_id:
            return version
    return None


def retrain(
    ctx: Context, run: LoopRun, policy: LoopPolicy, *, now: dt.datetime, actor: str
) -> ModelVersion:
    """Train and register the candidate of ``run`` (or find the one it registered before)."""
    found = find_candidate(ctx, run.model, run.id)
    if found is not None:
        return found
    rp = policy.retrain
    if rp is None:
        raise InputError(
            f"the policy of {run.model} has no [retrain] table: nothing to retrain with"
        )
    champion = registry.get(ctx, f"{run.model}:{run.champion}")
    if champion.signature is None:
        raise InputError(
            f"{champion.ref} was registered without training data, so the loop does not know "
            "its inputs; register it again with its training data"
        )
    features = list(champion.signature.names)
    since = now - rp.window
    logged = labelled_traffic(ctx, run.model, features, rp.target, since=since, until=now)
    given = _given(rp, features)
    total = len(logged) + len(given)
    if total < rp.min_rows:
        raise InputError(
            f"only {total:,} labelled rows arrived in the last {_days(rp.window)} "
            f"(the policy needs {rp.min_rows:,} to retrain); post labels to "
            f"/v1/models/{run.model}/labels or give [retrain] data"
        )
    cut = len(logged) - math.ceil(rp.holdout * len(logged)) if len(logged) >= 2 else len(logged)
    parts = [f for f in (given, logged.iloc[:cut][[*features, rp.target]]) if len(f)]
    # An empty part would turn every column into objects: concatenate what holds rows.
    learn = (
        pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    )
    held = logged.iloc[cut:][[*features, rp.target]].reset_index(drop=True)
    if held.empty and len(given) >= 2:  # nothing from the log: hold back part of the file
        held = given.sample(frac=rp.holdout, random_state=0)
        learn = given.drop(held.index).reset_index(drop=True)
        held = held.reset_index(drop=True)
    if registry.audit_required(ctx, run.model):
        # Before training: data the audit refuses is not worth the hook's time.
        report = dataaudit.audit_training(ctx, learn, target=rp.target, actor=actor)
        if not report.passed:
            raise InputError(audit_failed_words(report))
    key, sha = _store(ctx, held)
    lineage = {
        "loop_run": run.id,
        "alert": run.alert_id,
        "alert_rule": run.details.get("alert_rule"),
        "data_window": {"from": since.isoformat(), "to": now.isoformat()},
        "training_rows": len(learn),
        "feedback": _feedback(logged.iloc[:cut], rp.target, len(given)),
        "evaluation_data": {"key": key, "sha256": sha, "rows": len(held), "target": rp.target},
    }
    with tempfile.TemporaryDirectory(prefix="driftline-retrain-") as work:
        trained = _train(ctx, rp, champion, learn, Path(work))
        return registry.register(
            ctx,
            run.model,
            trained,
            train=learn,
            target=rp.target,
            parent=champion.ref,
            description=f"retrained by the loop (run {run.id}) after {run.trigger_words}",
            actor=actor,
            lineage=lineage,
        )


def evaluation_data(ctx: Context, info: dict[str, Any]) -> pd.DataFrame:
    """The held-back rows a candidate is judged on, read back and checked against their digest."""
    from driftline.io import read_frame

    blob = ctx.artifacts.get_blob(
        info["key"],
        info["sha256"],
        what="the loop's evaluation data",
        remedy="start the rollout again (driftline rollout start)",
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "evaluation.parquet"
        path.write_bytes(blob)
        return read_frame(path, what="the loop's evaluation data")


def _store(ctx: Context, frame: pd.DataFrame) -> tuple[str, str]:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return ctx.artifacts.put_blob(buffer.getvalue())


def _given(rp: RetrainPolicy, features: list[str]) -> pd.DataFrame:
    if rp.data is None:
        return pd.DataFrame(columns=[*features, rp.target])
    from driftline.io import read_frame

    frame = read_frame(rp.data, what="the [retrain] data")
    missing = [c for c in [*features, rp.target] if c not in frame]
    if missing:
        raise InputError(
            f"the [retrain] data {rp.data.name} lacks the column(s) {', '.join(missing)}; "
            f"it needs the model's inputs and the label column {rp.target!r}"
        )
    return frame[[*features, rp.target]].dropna(subset=[rp.target]).reset_index(drop=True)


def _feedback(logged: pd.DataFrame, target: str, given: int) -> dict[str, Any]:
    rows = len(logged)
    total = rows + given
    echo = float(same(logged["prediction"], logged[target]).mean()) if rows else None
    versions = logged["version"].value_counts().sort_index() if rows else pd.Series(dtype=int)
    return {
        "rows_decided_by_model": rows,
        "rows_given": given,
        "share_decided_by_model": rows / total if total else 0.0,
        "versions": {str(v): int(n) for v, n in versions.items()},
        "labels_equal_to_answer": echo,
    }


def _days(span: dt.timedelta) -> str:
    from driftline.loop._words import duration

    return duration(span)


# -- the hook or the command ---------------------------------------------------------


def _train(
    ctx: Context, rp: RetrainPolicy, champion: ModelVersion, data: pd.DataFrame, work: Path
) -> Any:
    if rp.hook is not None:
        fn = _hook(rp.hook, rp.folder)
        model = registry.load_model(ctx, champion)
        try:
            trained = fn(data.copy(), model)
        except DriftlineError:
            raise
        except Exception as exc:
            raise InputError(
                f"the retrain hook {rp.hook} raised {type(exc).__name__}: {exc}"
            ) from exc
        if trained is None or not hasattr(trained, "predict"):
            raise InputError(
                f"the retrain hook {rp.hook} returned {type(trained).__name__}, not a fitted "
                "model: it must return an estimator with predict()"
            )
        return trained
    return _command(ctx, rp, champion, data, work)


def _hook(spec: str, folder: Path | None) -> Any:
    module_name, _, function = spec.rpartition(":")
    try:
        if module_name.endswith(".py") or "/" in module_name:
            path = Path(module_name)
            path = path if path.is_absolute() or folder is None else folder / path
            loader = importlib.util.spec_from_file_location(f"_driftline_hook_{path.stem}", path)
            if loader is None or loader.loader is None or not path.is_file():
                raise InputError(f"the retrain hook file {str(path)!r} does not exist")
            module = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(module)
        else:
            with _importable(folder):
                module = importlib.import_module(module_name)
    except DriftlineError:
        raise
    except Exception as exc:
        raise InputError(
            f"the retrain hook {spec} cannot be imported ({type(exc).__name__}: {exc})"
        ) from exc
    fn = getattr(module, function, None)
    if not callable(fn):
        raise InputError(
            f"the retrain hook {spec}: module {module_name} has no function {function!r}"
        )
    return fn


@contextlib.contextmanager
def _importable(folder: Path | None) -> Iterator[None]:
    """The policy's folder on the import path while its hook is imported."""
    entry = str(folder) if folder is not None else None
    added = entry is not None and entry not in sys.path
    if added:
        sys.path.insert(0, str(entry))
    try:
        yield
    finally:
        if added:
            sys.path.remove(str(entry))


def _command(
    ctx: Context, rp: RetrainPolicy, champion: ModelVersion, data: pd.DataFrame, work: Path
) -> str:
    if rp.command is None:
        raise InputError("the [retrain] table names neither a hook nor a command")
    data_path = work / "data.parquet"
    data.to_parquet(data_path, index=False)
    blob = ctx.artifacts.get_blob(
        champion.artifact_key,
        champion.sha256,
        what=f"the model artifact of {champion.ref}",
        remedy=f"register {champion.name} again from a copy you trust",
    )
    champion_path = work / f"champion{_SUFFIX.get(champion.flavor, '.bin')}"
    champion_path.write_bytes(blob)
    out = work / "out" / "candidate.skops"
    out.parent.mkdir()
    args = [
        part.format(data=data_path, champion=champion_path, out=out)
        for part in shlex.split(rp.command)
    ]
    try:
        done = subprocess.run(
            args,
            cwd=rp.folder,
            capture_output=True,
            text=True,
            timeout=rp.timeout.total_seconds(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InputError(
            f"the retrain command did not finish within {_days(rp.timeout)}; it was stopped"
        ) from None
    except OSError as exc:
        raise InputError(f"the retrain command cannot run: {exc}") from exc
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise InputError(f"the retrain command exited with {done.returncode}: {last[0]}")
    written = [p for p in out.parent.iterdir() if p.suffix in (".skops", ".onnx")]
    if len(written) != 1:
        raise InputError(
            f"the retrain command wrote {len(written)} model files; it must write one at "
            "{out} (a .skops file) or one .onnx file beside it"
        )
    return str(written[0])
