"""Distillation: a smaller student learns a version's answers, and joins the registry as its child.

The teacher answers the rows given (labels are not needed: its answers are
the student's labels). The student trains on most of them and is judged on
the rest, rows it never saw: the share it answers as the teacher, its size
and its speed beside the teacher's. It is registered as a new version whose
lineage names the teacher as its parent, ready for the gate, which judges it
on real labels.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftline import registry
from driftline.edge._forms import onnx_bytes
from driftline.edge._measure import Agreement, agreement, tile, time_calls
from driftline.edge._words import distilled_sentence
from driftline.errors import InputError
from driftline.io import read_frame
from driftline.registry import ModelRuntime, Prediction

if TYPE_CHECKING:
    from driftline.registry import ModelVersion
    from driftline.schema import Signature
    from driftline.store import Context

__all__ = ["STUDENTS", "DistillReport", "distill"]

STUDENTS = ("tree", "gbm", "logistic")
MIN_ROWS = 50


@dataclasses.dataclass(frozen=True)
class DistillReport:
    """The student registered, and how it compares with its teacher on held-out rows."""

    teacher: str
    student: str
    kind: str
    agreement: Agreement
    teacher_size: int
    student_size: int
    teacher_ms: float  # one row, p50, each on the runtime it is served with
    student_ms: float
    teacher_rows_per_second: float  # batches of 1024
    student_rows_per_second: float
    teacher_engine: str
    student_engine: str
    teacher_onnx_size: int | None = None  # the form served and exported, when there is one
    student_onnx_size: int | None = None

    @property
    def size_ratio(self) -> float:
        """The student's size as a share of the teacher's: ONNX forms when both have one."""
        if self.teacher_onnx_size and self.student_onnx_size:
            return self.student_onnx_size / self.teacher_onnx_size
        return self.student_size / max(1, self.teacher_size)

    @property
    def sentence(self) -> str:
        return distilled_sentence(
            self.teacher,
            self.student,
            self.kind,
            self.agreement.share,
            self.agreement.rows,
            self.size_ratio,
        )

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["agreement"] = self.agreement.to_dict()
        d["size_ratio"] = self.size_ratio
        d["sentence"] = self.sentence
        return d


def _student(kind: str, signature: Signature, classifier: bool, seed: int) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    dates = [c.name for c in signature.columns if c.kind == "datetime"]
    if dates:
        raise InputError(
            f"a student reads numbers and categories, and column {dates[0]!r} is a date-time; "
            "distil a model whose inputs have no date-times"
        )
    numbers = [c.name for c in signature.columns if c.kind in ("integer", "number", "boolean")]
    categories = [c.name for c in signature.columns if c.kind == "category"]
    steps: list[Any] = [SimpleImputer(strategy="median")]
    if kind == "logistic":
        steps.append(StandardScaler())
    parts: list[tuple[str, Any, list[str]]] = []
    if numbers:
        parts.append(("numbers", make_pipeline(*steps), numbers))
    if categories:
        parts.append(("categories", OneHotEncoder(handle_unknown="ignore"), categories))
    if not parts:
        raise InputError("a student needs number or category inputs; this model reads text only")
    estimator: Any
    if kind == "tree":
        tree = DecisionTreeClassifier if classifier else DecisionTreeRegressor
        estimator = tree(max_depth=8, min_samples_leaf=10, random_state=seed)
    elif kind == "gbm":
        boost = GradientBoostingClassifier if classifier else GradientBoostingRegressor
        estimator = boost(n_estimators=50, max_depth=3, random_state=seed)
    else:
        estimator = LogisticRegression(max_iter=1000) if classifier else Ridge()
    nullable = any(c.nullable for c in signature.columns if c.name in numbers)
    if not categories and not nullable:
        # Numbers alone: one matrix in, so its ONNX form takes one tensor, the fast path.
        return make_pipeline(StandardScaler(), estimator) if kind == "logistic" else estimator
    inputs = ColumnTransformer(parts, remainder="drop")
    return Pipeline([("inputs", inputs), ("model", estimator)])


def _speed(runtime: ModelRuntime, rows: pd.DataFrame) -> tuple[float, float]:
    one, batch = runtime.prepare(rows.iloc[:1]), runtime.prepare(tile(rows, 1024))
    return (
        time_calls(lambda: runtime.predict(one), 1, seconds=0.3).p50_ms,
        time_calls(lambda: runtime.predict(batch), 1024, seconds=0.3).rows_per_second,
    )


def distill(
    ctx: Context,
    ref: str,
    data: Any,
    *,
    student: str = "tree",
    holdout: float = 0.2,
    seed: int = 0,
    alias: str | None = None,
    actor: str | None = None,
) -> DistillReport:
    """Train a ``student`` (tree, gbm or logistic) on ``ref``'s answers to ``data``; register it."""
    if student not in STUDENTS:
        raise InputError(f"--student must be one of {', '.join(STUDENTS)}, got {student!r}")
    if not 0 < holdout < 1:
        raise InputError(f"holdout must be a share between 0 and 1 (0.2 is 20%), got {holdout}")
    teacher = registry.get(ctx, ref)
    runtime = ModelRuntime.load(ctx, teacher)
    signature = runtime.signature
    frame = read_frame(data, text=signature.text_columns(), what="the rows to distil on")
    missing = [n for n in signature.names if n not in frame.columns]
    if missing:
        raise InputError(
            f"the rows lack column(s) {', '.join(map(repr, missing))} that {teacher.ref} takes; "
            f"give rows with columns {', '.join(signature.names)} (labels are not needed)"
        )
    frame = frame[signature.names].reset_index(drop=True)
    signature.validate(frame)
    if len(frame) < MIN_ROWS:
        raise InputError(
            f"distillation needs at least {MIN_ROWS} rows to learn from and check on, got {len(frame)}"
        )
    answers = runtime.predict(runtime.prepare(frame))
    classifier = runtime.is_classifier
    if classifier and len(set(answers.labels.tolist())) < 2:
        raise InputError(
            f"{teacher.ref} answered {answers.labels[0]!r} on every one of the {len(frame)} rows; "
            "a student needs rows on which the teacher gives at least two different answers"
        )
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = len(frame) - max(1, round(holdout * len(frame)))
    train, held = np.sort(order[:cut]), np.sort(order[cut:])
    model = _student(student, signature, classifier, seed)
    model.fit(frame.iloc[train], answers.labels[train])
    taught_by = Prediction(answers.labels[held])
    agree = agreement(
        taught_by, Prediction(np.asarray(model.predict(frame.iloc[held]))), classifier
    )
    target = (signature.output.target if signature.output else None) or "prediction"
    taught = frame.iloc[train].assign(**{target: answers.labels[train]})
    registered = registry.register(
        ctx,
        teacher.name,
        model,
        train=taught,
        target=target,
        description=f"a {student} distilled from {teacher.ref}",
        metrics={"agreement_with_teacher": agree.share},
        parent=teacher.ref,
        actor=actor,
    )
    if alias:
        registered = registry.set_alias(ctx, teacher.name, registered.version, alias, actor=actor)
    pupil = ModelRuntime.load(ctx, registered)
    held_rows = frame.iloc[held].reset_index(drop=True)
    teacher_ms, teacher_rps = _speed(runtime, held_rows)
    student_ms, student_rps = _speed(pupil, held_rows)
    return DistillReport(
        teacher=teacher.ref,
        student=registered.ref,
        kind=student,
        agreement=agree,
        teacher_size=teacher.artifact_size,
        student_size=registered.artifact_size,
        teacher_ms=teacher_ms,
        student_ms=student_ms,
        teacher_rows_per_second=teacher_rps,
        student_rows_per_second=student_rps,
        teacher_engine=runtime.engine,
        student_engine=pupil.engine,
        teacher_onnx_size=_onnx_size(ctx, teacher),
        student_onnx_size=_onnx_size(ctx, registered),
    )


def _onnx_size(ctx: Context, mv: ModelVersion) -> int | None:
    try:
        return len(onnx_bytes(ctx, mv))
    except InputError:  # no ONNX form: the artifact's size is the one to compare
        return None
