"""GatePolicy: what a candidate version must show before it may replace the baseline.

A policy is TOML, either a whole file or the ``[gate]`` table of a model's
policy file (whose other tables, such as ``[[alert]]``, belong to other
services and are left alone)::

    min_rows = 200            # fewer labelled rows than this: the gate fails
    confidence = 0.95         # of every interval
    n_resamples = 1000        # bootstrap resamples

    [thresholds]              # absolute, on the candidate's point estimate
    accuracy = { min = 0.80 }
    log_loss = { max = 0.50 }

    [regression]              # non-regression against the baseline, paired bootstrap
    accuracy = { max_drop = 0.01 }

    [slices]
    segments = ["region"]     # every value of these columns is a slice
    define = ["age >= 60 and region = 'north'"]   # explicit slices
    metric = "accuracy"       # for the gap and the per-slice comparison
    min_accuracy = 0.70       # min_<metric> / max_<metric> on every slice
    max_gap = 0.15            # best slice minus worst slice
    max_drop = 0.0            # no slice significantly worse than on the baseline by more
    compare_baseline = true   # false: do not compare slices with the baseline
    min_rows = 30             # a smaller slice cannot be judged: it fails

    [calibration]
    max_ece = 0.05

    [quality]
    must_pass = true          # no critical data-quality finding on the evaluation data

    [fairness]                # disparities between the groups of sensitive columns
    sex = { demographic_parity_ratio = { min = 0.8 }, equalized_odds_difference = { max = 0.1 } }

    [audit]                   # top level in a model's policy file, beside [gate]
    require = "clean"         # the candidate's training data passed `driftline data audit`

``max_drop`` is how much worse the candidate may be, in the metric's own
units: a fall for metrics where higher is better, a rise for log loss,
Brier, MAE, RMSE and MAPE.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from driftline.errors import InputError

__all__ = ["Bound", "GatePolicy", "SlicePolicy"]

# Top-level tables of a model's policy file that other services read.
_OTHER_SECTIONS = frozenset({"alert", "canary", "rollback", "retrain", "features", "audit"})


def _metric_names() -> tuple[str, ...]:
    from driftline.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS

    return (*CLASSIFICATION_METRICS, *REGRESSION_METRICS)


@dataclasses.dataclass(frozen=True)
class Bound:
    """An absolute threshold: the figure must be at least ``min`` and at most ``max``."""

    min: float | None = None
    max: float | None = None

    def to_dict(self) -> dict[str, float]:
        return {k: v for k, v in (("min", self.min), ("max", self.max)) if v is not None}


@dataclasses.dataclass(frozen=True)
class SlicePolicy:
    """Criteria judged on every slice: thresholds, the gap between slices, no slice worse."""

    segments: tuple[str, ...] = ()
    define: tuple[str, ...] = ()
    metric: str | None = None
    thresholds: Mapping[str, Bound] = dataclasses.field(default_factory=dict)
    max_gap: float | None = None
    compare: bool = True
    max_drop: float = 0.0
    min_rows: int = 30

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "segments": list(self.segments),
            "define": list(self.define),
            "metric": self.metric,
            "min_rows": self.min_rows,
            "max_gap": self.max_gap,
            "compare_baseline": self.compare,
            "max_drop": self.max_drop,
        }
        for metric, bound in self.thresholds.items():
            for side, value in bound.to_dict().items():
                out[f"{side}_{metric}"] = value
        return out


@dataclasses.dataclass(frozen=True)
class GatePolicy:
    """The criteria of a release gate; see the module docstring for the TOML form.

    Example::

        >>> policy = GatePolicy.from_toml('''
        ... min_rows = 50
        ... [thresholds]
        ... accuracy = { min = 0.8 }
        ... [regression]
        ... accuracy = { max_drop = 0.01 }
        ... ''')
        >>> policy.thresholds["accuracy"].min, policy.regression["accuracy"]
        (0.8, 0.01)
    """

    thresholds: Mapping[str, Bound] = dataclasses.field(default_factory=dict)
    regression: Mapping[str, float] = dataclasses.field(default_factory=dict)
    slices: SlicePolicy | None = None
    max_ece: float | None = None
    quality: bool = True
    # Sensitive column -> disparity (driftline.fairness.DISPARITIES) -> bound.
    fairness: Mapping[str, Mapping[str, Bound]] = dataclasses.field(default_factory=dict)
    require_audit: bool = False
    min_rows: int = 100
    confidence: float = 0.95
    n_resamples: int = 1000

    @classmethod
    def default(cls, task: str = "binary") -> GatePolicy:
        """At least 100 labelled rows, clean data, and no more than one point lost.

        For classifiers: accuracy may not drop by more than 0.01; for
        regressors: R² may not drop by more than 0.01 (both judged on the
        paired interval, see :func:`driftline.gate.run_gate`).
        """
        metric = "r2" if task == "regression" else "accuracy"
        return cls(regression={metric: 0.01})

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every metric some criterion needs, in a stable order."""
        names: list[str] = [*self.thresholds, *self.regression]
        if self.slices is not None:
            names += list(self.slices.thresholds)
            if self.slices.metric is not None:
                names.append(self.slices.metric)
        return tuple(dict.fromkeys(names))

    # -- reading and writing ---------------------------------------------------

    @classmethod
    def from_toml(cls, source: str | Path) -> GatePolicy:
        """Read a policy from a TOML file path, or from TOML text.

        Unknown keys and values of the wrong kind raise :class:`InputError`
        naming the key (and its line when it can be found).
        """
        where = "the gate policy"
        if isinstance(source, Path) or (
            isinstance(source, str) and "\n" not in source and "=" not in source
        ):
            path = Path(source)
            where = path.name
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise InputError(
                    f"gate policy file {str(path)!r} does not exist; give the path of a TOML file"
                ) from None
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read gate policy {str(path)!r}: {exc}") from exc
        elif isinstance(source, str):
            text = source
        else:
            raise InputError(
                f"a gate policy is a TOML file path or TOML text, got {type(source).__name__}"
            )
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{where} is not valid TOML: {exc}") from exc
        prefix: tuple[str, ...] = ()
        audit = data.get("audit")
        if "gate" in data:
            gate = data["gate"]
            if not isinstance(gate, dict):
                raise _Reader(text, where, ()).error(("gate",), "must be a table: [gate]")
            data, prefix = gate, ("gate",)
        else:
            data = {k: v for k, v in data.items() if k not in _OTHER_SECTIONS}
        if audit is not None:  # [audit] sits beside [gate]: register reads it too
            data = {**data, "audit": audit}
        return _Reader(text, where, prefix).policy(data)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GatePolicy:
        """The policy of a :meth:`to_dict` (the same shape as the TOML)."""
        return _Reader("", "the gate policy", ()).policy(dict(d))

    def to_toml(self) -> str:
        """The policy as TOML that :meth:`from_toml` reads back."""
        return _to_toml(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "min_rows": self.min_rows,
            "confidence": self.confidence,
            "n_resamples": self.n_resamples,
            "thresholds": {k: b.to_dict() for k, b in self.thresholds.items()},
            "regression": {k: {"max_drop": v} for k, v in self.regression.items()},
            "quality": {"must_pass": self.quality},
        }
        if self.slices is not None:
            out["slices"] = {k: v for k, v in self.slices.to_dict().items() if v is not None}
        if self.max_ece is not None:
            out["calibration"] = {"max_ece": self.max_ece}
        if self.fairness:
            out["fairness"] = {
                col: {name: b.to_dict() for name, b in bounds.items()}
                for col, bounds in self.fairness.items()
            }
        if self.require_audit:
            out["audit"] = {"require": "clean"}
        return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)


def _to_toml(data: Mapping[str, Any]) -> str:
    lines = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for table, body in data.items():
        if isinstance(body, dict):
            lines += ["", f"[{table}]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


# -- validation ------------------------------------------------------------------


def _suggest(name: str, known: Sequence[str]) -> str:
    """ "; did you mean 'x'?" for a near miss or a prefix of a known name; else ""."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if name and k.startswith(name)][:1]
    return f"; did you mean {close[0]!r}?" if close else ""


def _kind(value: Any) -> str:
    names = {bool: "true/false", int: "a whole number", float: "a number", str: "text"}
    names.update({list: "a list", dict: "a table"})
    return names.get(type(value), type(value).__name__)


class _Reader:
    """Turns parsed TOML into a policy, naming the key and line of the first mistake."""

    def __init__(self, text: str, where: str, prefix: tuple[str, ...]) -> None:
        self.lines = text.splitlines()
        self.where = where
        self.prefix = prefix

    def error(self, path: tuple[str, ...], problem: str) -> InputError:
        key = ".".join((*self.prefix, *path))
        line = self._line(path)
        at = f" (line {line})" if line else ""
        return InputError(f"{self.where}: key {key!r}{at} {problem}")

    def _line(self, path: tuple[str, ...]) -> int | None:
        # tomllib keeps no positions: find the key's line by walking the table headers.
        full = (*self.prefix, *path)
        table: tuple[str, ...] = ()
        header = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
        best: int | None = None
        for number, line in enumerate(self.lines, 1):
            m = header.match(line)
            if m:
                table = tuple(p.strip().strip("\"'") for p in m.group(1).split("."))
                if table == full:
                    return number
                continue
            if full[: len(table)] != table or len(full) <= len(table):
                continue
            rest = full[len(table) :]
            for depth in range(len(rest), 0, -1):
                name = re.escape(rest[depth - 1])
                if re.search(rf"(^|[{{,\s]){name}\s*=", line.split("#", 1)[0]):
                    if depth == len(rest):
                        return number
                    best = best or number
                    break
        return best

    def _keys(self, table: Mapping[str, Any], path: tuple[str, ...], allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                hint = _suggest(key, sorted(allowed))
                known = ", ".join(sorted(allowed)) or "none"
                raise self.error((*path, key), f"is not a gate policy key{hint} (known: {known})")

    def _table(self, value: Any, path: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(path, f"must be a table, got {_kind(value)}")
        return value

    def _number(
        self,
        value: Any,
        path: tuple[str, ...],
        *,
        low: float | None = None,
        high: float | None = None,
        open_low: bool = False,
        open_high: bool = False,
        whole: bool = False,
    ) -> Any:
        ok = isinstance(value, int) if whole else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or not math.isfinite(value):
            want = "a whole number" if whole else "a number"
            raise self.error(path, f"must be {want}, got {_kind(value)} {value!r}")
        too_low = low is not None and (value <= low if open_low else value < low)
        too_high = high is not None and (value >= high if open_high else value > high)
        if too_low or too_high:
            lo = "" if low is None else f"{'above' if open_low else 'at least'} {low:g}"
            hi = "" if high is None else f"{'below' if open_high else 'at most'} {high:g}"
            both = " and ".join(p for p in (lo, hi) if p)
            raise self.error(path, f"must be {both}, got {value!r}")
        return int(value) if whole else float(value)

    def _metric(self, name: str, path: tuple[str, ...]) -> str:
        known = _metric_names()
        if name not in known:
            hint = _suggest(name, known)
            raise self.error(path, f"is not a metric{hint} (metrics: {', '.join(known)})")
        return name

    def _bound(self, value: Any, path: tuple[str, ...]) -> Bound:
        table = self._table(value, path)
        self._keys(table, path, {"min", "max"})
        if not table:
            raise self.error(path, "needs min or max, e.g. { min = 0.8 }")
        lo = self._number(table["min"], (*path, "min")) if "min" in table else None
        hi = self._number(table["max"], (*path, "max")) if "max" in table else None
        if lo is not None and hi is not None and lo > hi:
            raise self.error(path, f"has min {lo:g} above max {hi:g}")
        return Bound(min=lo, max=hi)

    def _strings(self, value: Any, path: tuple[str, ...]) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(path, f"must be a list of text, got {_kind(value)} {value!r}")
        return tuple(value)

    def policy(self, data: dict[str, Any]) -> GatePolicy:
        self._keys(
            data,
            (),
            {
                "min_rows",
                "confidence",
                "n_resamples",
                "thresholds",
                "regression",
                "slices",
                "calibration",
                "quality",
                "fairness",
                "audit",
            },
        )
        kwargs: dict[str, Any] = {}
        if "min_rows" in data:
            kwargs["min_rows"] = self._number(data["min_rows"], ("min_rows",), low=1, whole=True)
        if "confidence" in data:
            kwargs["confidence"] = self._number(
                data["confidence"], ("confidence",), low=0, high=1, open_low=True, open_high=True
            )
        if "n_resamples" in data:
            kwargs["n_resamples"] = self._number(
                data["n_resamples"], ("n_resamples",), low=100, high=100_000, whole=True
            )
        thresholds = {}
        for name, value in self._table(data.get("thresholds", {}), ("thresholds",)).items():
            path = ("thresholds", name)
            thresholds[self._metric(name, path)] = self._bound(value, path)
        regression = {}
        for name, value in self._table(data.get("regression", {}), ("regression",)).items():
            path = ("regression", name)
            table = self._table(value, path)
            self._keys(table, path, {"max_drop"})
            if "max_drop" not in table:
                raise self.error(path, "needs max_drop, e.g. { max_drop = 0.01 }")
            regression[self._metric(name, path)] = self._number(
                table["max_drop"], (*path, "max_drop"), low=0
            )
        if "slices" in data:
            kwargs["slices"] = self._slices(self._table(data["slices"], ("slices",)))
        if "calibration" in data:
            table = self._table(data["calibration"], ("calibration",))
            self._keys(table, ("calibration",), {"max_ece"})
            if "max_ece" in table:
                kwargs["max_ece"] = self._number(
                    table["max_ece"], ("calibration", "max_ece"), low=0, high=1
                )
        if "quality" in data:
            table = self._table(data["quality"], ("quality",))
            self._keys(table, ("quality",), {"must_pass"})
            must = table.get("must_pass", True)
            if not isinstance(must, bool):
                raise self.error(
                    ("quality", "must_pass"), f"must be true or false, got {_kind(must)}"
                )
            kwargs["quality"] = must
        if "fairness" in data:
            kwargs["fairness"] = self._fairness(self._table(data["fairness"], ("fairness",)))
        if "audit" in data:
            table = self._table(data["audit"], ("audit",))
            self._keys(table, ("audit",), {"require"})
            require = table.get("require", "none")
            if require not in ("clean", "none"):
                raise self.error(
                    ("audit", "require"), f'must be "clean" or "none", got {require!r}'
                )
            kwargs["require_audit"] = require == "clean"
        return GatePolicy(thresholds=thresholds, regression=regression, **kwargs)

    def _fairness(self, table: dict[str, Any]) -> dict[str, dict[str, Bound]]:
        from driftline.fairness import DISPARITIES

        out: dict[str, dict[str, Bound]] = {}
        for column, value in table.items():
            path = ("fairness", column)
            bounds = self._table(value, path)
            if not bounds:
                raise self.error(
                    path, "needs a disparity, e.g. { demographic_parity_ratio = { min = 0.8 } }"
                )
            for name, bound in bounds.items():
                if name not in DISPARITIES:
                    hint = _suggest(name, DISPARITIES)
                    raise self.error(
                        (*path, name),
                        f"is not a disparity{hint} (disparities: {', '.join(DISPARITIES)})",
                    )
                out.setdefault(column, {})[name] = self._bound(bound, (*path, name))
        return out

    def _slices(self, table: dict[str, Any]) -> SlicePolicy:
        base = {"segments", "define", "metric", "max_gap", "max_drop", "min_rows"}
        base.add("compare_baseline")
        bounds = {k for k in table if re.fullmatch(r"(min|max)_\w+", k) and k not in base}
        self._keys({k: v for k, v in table.items() if k not in bounds}, ("slices",), base)
        thresholds: dict[str, dict[str, float]] = {}
        for key in sorted(bounds):
            side, name = key.split("_", 1)
            path = ("slices", key)
            if name not in _metric_names():
                hint = _suggest(key, [f"{side}_{m}" for m in _metric_names()])
                raise self.error(path, f"names no metric{hint} (use min_<metric> or max_<metric>)")
            thresholds.setdefault(name, {})[side] = self._number(table[key], path)
        segments = self._strings(table.get("segments", []), ("slices", "segments"))
        define = self._strings(table.get("define", []), ("slices", "define"))
        if not segments and not define:
            raise self.error(
                ("slices",), 'needs segments = ["column"] or define = ["slice"] to know the slices'
            )
        for i, text in enumerate(define):
            self._check_slice(text, ("slices", "define"), i)
        metric: str | None = None
        if "metric" in table:
            if not isinstance(table["metric"], str):
                raise self.error(
                    ("slices", "metric"), f"must be text, got {_kind(table['metric'])}"
                )
            metric = self._metric(table["metric"], ("slices", "metric"))
        max_gap = (
            self._number(table["max_gap"], ("slices", "max_gap"), low=0)
            if "max_gap" in table
            else None
        )
        max_drop = 0.0
        if "max_drop" in table:
            max_drop = self._number(table["max_drop"], ("slices", "max_drop"), low=0)
        compare = table.get("compare_baseline", True)
        if not isinstance(compare, bool):
            raise self.error(
                ("slices", "compare_baseline"), f"must be true or false, got {_kind(compare)}"
            )
        min_rows = 30
        if "min_rows" in table:
            min_rows = self._number(table["min_rows"], ("slices", "min_rows"), low=1, whole=True)
        return SlicePolicy(
            segments=segments,
            define=define,
            metric=metric,
            thresholds={m: Bound(**b) for m, b in thresholds.items()},
            max_gap=max_gap,
            compare=compare,
            max_drop=max_drop,
            min_rows=min_rows,
        )

    def _check_slice(self, text: str, path: tuple[str, ...], i: int) -> None:
        from driftline.slices import Slice

        try:
            Slice.parse(text)
        except InputError as exc:
            raise self.error(path, f"item {i + 1} ({text!r}) is not a slice: {exc}") from exc
