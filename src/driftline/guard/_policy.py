"""A deployment's guard policy: what to do with inputs unlike training, what answers reveal, how fast."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from pathlib import Path
from typing import Any, Literal

from driftline.errors import ConfigError

__all__ = ["MODES", "GuardPolicy"]

Mode = Literal["off", "log", "flag", "reject"]
MODES: dict[str, str] = {
    "off": "inputs are not scored",
    "log": "each input's score is written to the inference log",
    "flag": "inputs unlike training are marked in the answer and in the log",
    "reject": "a request holding an input unlike training is refused with HTTP 422",
}


@dataclasses.dataclass(frozen=True)
class GuardPolicy:
    """How one deployment guards its inputs and hardens its answers.

    ``threshold`` is a multiple of the line fitted at registration (the score
    that 1% of training-like rows exceed): 1 flags about 1 in 100 ordinary
    inputs, 2 only those twice as far from the training rows. ``round``,
    ``top_k`` and ``labels_only`` limit what an answer reveals of the model's
    probabilities. ``token_rate`` and ``address_rate`` are inputs (rows) per
    second allowed to one token and to one client address, with bursts of
    ``burst`` inputs (also the most one request may hold).
    ``sweep_rows`` recent inputs per caller are examined for a systematic sweep.
    """

    mode: Mode = "off"
    threshold: float = 1.0
    round: int | None = None
    top_k: int | None = None
    labels_only: bool = False
    token_rate: float | None = None
    address_rate: float | None = None
    burst: int = 20
    sweep_rows: int = 200

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(
                f"guard must be one of {', '.join(MODES)}, got {self.mode!r}; "
                "flag marks unusual inputs, reject refuses them"
            )
        if not _positive(self.threshold):
            raise ConfigError(
                f"guard threshold must be a positive number (1 = the line fitted at "
                f"registration), got {self.threshold!r}"
            )
        for name in ("round", "top_k"):
            value = getattr(self, name)
            low = 0 if name == "round" else 1
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < low
            ):
                raise ConfigError(f"{name} must be a whole number from {low}, got {value!r}")
        for name in ("token_rate", "address_rate"):
            value = getattr(self, name)
            if value is not None and not _positive(value):
                raise ConfigError(
                    f"{name} must be a positive number of inputs per second, got {value!r}"
                )
        if isinstance(self.burst, bool) or not isinstance(self.burst, int) or self.burst < 1:
            raise ConfigError(f"burst must be a whole number from 1, got {self.burst!r}")
        if not isinstance(self.sweep_rows, int) or self.sweep_rows < 20:
            raise ConfigError(f"sweep_rows must be a whole number from 20, got {self.sweep_rows!r}")

    @property
    def hardens(self) -> bool:
        """Whether answers are changed before they leave."""
        return self.labels_only or self.round is not None or self.top_k is not None

    @property
    def limits(self) -> bool:
        return self.token_rate is not None or self.address_rate is not None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GuardPolicy:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown guard setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**data)

    @classmethod
    def from_policy(cls, path: str | Path) -> GuardPolicy | None:
        """The ``[guard]`` table of a model's policy file; None when it has none."""
        source = Path(path)
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                f"policy file {str(source)!r} does not exist; give the path of a TOML file"
            ) from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read policy file {str(source)!r}: {exc}") from exc
        table = data.get("guard")
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{source.name}: key 'guard' must be a table: [guard]")
        try:
            return cls.from_dict(table)
        except ConfigError as exc:
            raise ConfigError(f"{source.name}: [guard]: {exc}") from None
        except TypeError as exc:
            raise ConfigError(f"{source.name}: [guard]: {exc}") from None

    def describe(self) -> str:
        """The policy in one sentence, for the CLI."""
        parts = [MODES[self.mode]]
        if self.mode in ("flag", "reject") and self.threshold != 1.0:
            parts[0] += f" (at {self.threshold:g} times the fitted line)"
        if self.labels_only:
            parts.append("answers carry labels only")
        else:
            if self.top_k is not None:
                parts.append(f"answers keep the top {self.top_k} class probabilities")
            if self.round is not None:
                parts.append(f"probabilities rounded to {self.round} decimals")
        if self.token_rate is not None:
            parts.append(f"at most {self.token_rate:g} inputs a second per token")
        if self.address_rate is not None:
            parts.append(f"at most {self.address_rate:g} inputs a second per client address")
        return "; ".join(parts)


def _positive(value: Any) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and value > 0
    )
