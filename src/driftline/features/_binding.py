"""A deployment's feature inputs: which views complete a model's inputs, and what to do without them.

Declared on the command line (``driftline deploy churn --features customer:*
--on-missing default``) or in the ``[features]`` table of the model's policy
file::

    [features]
    use = ["customer:*", "device:battery"]   # view:feature, or view:* for all of a view's
    on_missing = "fail"    # the entity has no values: "fail" (HTTP 400) or "default"
    on_stale = "fail"      # its values are older than the view's time-to-live: likewise

"default" serves each feature's declared default, so every feature used
must declare one.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline.errors import InputError
from driftline.features._catalog import Selection, select_features
from driftline.features._keys import close_match

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["POLICIES", "FeatureBinding", "check_binding"]

POLICIES = ("fail", "default")
_KEYS = ("use", "on_missing", "on_stale")


@dataclasses.dataclass(frozen=True)
class FeatureBinding:
    """Feature views that complete a deployed model's inputs; see the module docstring."""

    use: tuple[str, ...]
    on_missing: str = "fail"
    on_stale: str = "fail"

    def __post_init__(self) -> None:
        use = (self.use,) if isinstance(self.use, str) else tuple(self.use)
        use = tuple(r.strip() for u in use for r in u.split(",") if r.strip())
        if not use:
            raise InputError('--features names no feature; give "view:feature" or "view:*"')
        object.__setattr__(self, "use", use)
        for key in ("on_missing", "on_stale"):
            value = getattr(self, key)
            if value not in POLICIES:
                raise InputError(
                    f"features: key {key!r} must be 'fail' or 'default', got {value!r}"
                )

    def to_dict(self) -> dict[str, Any]:
        return {"use": list(self.use), "on_missing": self.on_missing, "on_stale": self.on_stale}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, where: str = "features") -> FeatureBinding:
        for key in d:
            if key not in _KEYS:
                raise InputError(
                    f"{where}: unknown key {key!r}{close_match(key, _KEYS)}; known: "
                    f"{', '.join(_KEYS)}"
                )
        use = d.get("use")
        if isinstance(use, str):
            use = [use]
        if not isinstance(use, list) or not all(isinstance(u, str) for u in use):
            raise InputError(
                f'{where}: key \'use\' must be a list like ["customer:*", "device:battery"]'
            )
        return cls(tuple(use), str(d.get("on_missing", "fail")), str(d.get("on_stale", "fail")))

    @classmethod
    def from_policy(cls, path: str | Path) -> FeatureBinding | None:
        """The ``[features]`` table of a model's policy file; None when it has none."""
        source = Path(path)
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(
                f"policy file {str(source)!r} does not exist; give the path of a TOML file"
            ) from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"cannot read policy file {str(source)!r}: {exc}") from exc
        table = data.get("features")
        if table is None:
            return None
        if not isinstance(table, dict):
            raise InputError(f"{source.name}: key 'features' must be a table: [features]")
        return cls.from_dict(table, where=f"{source.name}: [features]")


def check_binding(
    ctx: Context, binding: FeatureBinding, inputs: Sequence[str], model: str
) -> list[Selection]:
    """The features ``binding`` fills for a model with ``inputs``, checked before deploying.

    A feature named on its own must be one of the model's inputs; ``view:*``
    takes those of the view's features that are. With a "default" policy each
    feature used must declare a default.
    """
    wanted = set(inputs)
    selections = select_features(ctx, list(binding.use))
    out = []
    for sel in selections:
        explicit = {r.split(":", 1)[1] for r in binding.use if r.split(":", 1)[0] == sel.view.name}
        for name in sorted(explicit - {"*"} - wanted):
            raise InputError(
                f"feature {sel.view.name}:{name} is not an input of {model} (its inputs: "
                f"{', '.join(inputs)}); leave it out of --features"
            )
        used = tuple(f for f in sel.features if f in wanted)
        if not used:
            raise InputError(
                f"no feature of view {sel.view.name!r} is an input of {model} (its inputs: "
                f"{', '.join(inputs)}; the view's features: {', '.join(sel.view.feature_names)})"
            )
        if "default" in (binding.on_missing, binding.on_stale):
            bare = [f for f in used if sel.view.feature(f).default is None]
            if bare:
                raise InputError(
                    f"feature {sel.view.name}:{bare[0]} declares no default, so it cannot be "
                    "served when values are missing or stale; declare one in the view, or "
                    "use on_missing = 'fail'"
                )
        out.append(Selection(sel.view, used))
    return out
