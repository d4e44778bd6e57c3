"""Signatures: what a model expects to receive and what it answers."""

from driftline.schema._rows import row_problems
from driftline.schema._signature import ColumnSpec, OutputSpec, Signature

__all__ = ["ColumnSpec", "OutputSpec", "Signature", "row_problems"]
