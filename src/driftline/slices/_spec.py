"""Slice: a group of rows named by its columns, in code, in words and as text.

A :class:`Slice` is a conjunction of :class:`~driftline.slices.Condition`
tests. It is a plain, hashable value that serializes with ``to_dict`` and
prints back to the text form that :func:`parse_slice` reads, so a slice found
by discovery can be pasted on the command line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.slices._condition import Condition, condition_mask
from driftline.slices._frame import as_frame
from driftline.slices._parse import parse_conditions

__all__ = ["Slice", "parse_slice"]


@dataclass(frozen=True)
class Slice:
    """A group of rows: those that meet every condition.

    ``name`` is an optional label chosen by people ("seniors"). A slice
    with no condition is every row.

    >>> s = Slice.parse("age>=60 and region=North")
    >>> s.describe()
    'age 60 or more and region North'
    >>> str(s)
    'age>=60 and region=North'
    """

    conditions: tuple[Condition, ...] = ()
    name: str | None = None

    def __post_init__(self) -> None:
        conditions = tuple(self.conditions)
        for c in conditions:
            if not isinstance(c, Condition):
                raise InputError(f"a slice is made of Conditions, got {type(c).__name__}")
        object.__setattr__(self, "conditions", conditions)

    @classmethod
    def parse(
        cls, text: str, *, columns: Sequence[str] | None = None, name: str | None = None
    ) -> Slice:
        """Read the text form; see :func:`parse_slice`."""
        return cls(parse_conditions(text, columns=columns), name=name)

    @property
    def columns(self) -> list[str]:
        """The columns the slice tests, in order, each once."""
        return list(dict.fromkeys(c.column for c in self.conditions))

    def mask(self, frame: Any) -> np.ndarray:
        """A boolean array: which rows of ``frame`` belong to the slice."""
        data = as_frame(frame)
        out = np.ones(data.n_rows, dtype=bool)
        for c in self.conditions:
            out &= condition_mask(c, data)
        return out

    def describe(self) -> str:
        """The slice in plain words: "age 60 or more and region North"."""
        if not self.conditions:
            return "all rows"
        return " and ".join(c.describe() for c in self.conditions)

    @property
    def label(self) -> str:
        """The name and the words, or the words alone."""
        words = self.describe()
        return f"{self.name} ({words})" if self.name else words

    def to_text(self) -> str:
        return " and ".join(c.to_text() for c in self.conditions)

    def __str__(self) -> str:
        return self.to_text()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "text": self.to_text(),
            "description": self.describe(),
            "conditions": [c.to_dict() for c in self.conditions],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Slice:
        return cls(
            tuple(Condition.from_dict(c) for c in data.get("conditions", ())),
            name=data.get("name"),
        )


def parse_slice(
    text: str, *, columns: Sequence[str] | None = None, name: str | None = None
) -> Slice:
    """A :class:`Slice` from its text form.

    ``"region=North"``, ``"region in North,South"``, ``"age>=60"``,
    ``"30<=age<60"``, ``"age is missing"``, joined with ``" and "`` or
    ``"&"``. Quote values holding spaces, commas or operators
    (``city="New York"``). With ``columns``, a condition on a column not
    among them is an error that lists the columns there are.

    >>> parse_slice("30<=age<60 & region in North,South").describe()
    'age 30 to under 60 and region North or South'
    """
    return Slice.parse(text, columns=columns, name=name)
