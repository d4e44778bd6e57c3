"""Where a table is read from, and the errors that name it.

Every error of reading says what was being read ("the reference"), the path,
what went wrong and what to do, in one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from driftline.errors import DataNotFoundError, MixedSchemaError, UnreadableDataError

__all__ = ["ACCEPTED", "Place"]

ACCEPTED = "a Parquet or CSV file (.parquet, .csv or .tsv; also .csv.gz, .bz2, .zst)"


@dataclass(frozen=True)
class Place:
    """A path given for a table, and what the table is to the caller."""

    path: Path
    what: str

    def missing(self) -> DataNotFoundError:
        return DataNotFoundError(
            f"cannot read {self.what}: there is no file or folder at {str(self.path)!r}; "
            f"give the path of {ACCEPTED}, or of a folder of them",
            path=str(self.path),
        )

    def empty_folder(self) -> DataNotFoundError:
        return DataNotFoundError(
            f"cannot read {self.what}: the folder {str(self.path)!r} holds no data files; "
            f"put {ACCEPTED} in it",
            path=str(self.path),
        )

    def unreadable(self, file: Path, fmt: str, exc: BaseException) -> UnreadableDataError:
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        return UnreadableDataError(
            f"cannot read {self.what} {str(file)!r} as {fmt} ({first}); check that it is a "
            f"complete {fmt} file",
            path=str(self.path),
        )

    def unreadable_because(self, file: Path, reason: str) -> UnreadableDataError:
        return UnreadableDataError(
            f"cannot read {self.what} {str(file)!r}: {reason}", path=str(self.path)
        )

    def mixed(self, reason: str) -> MixedSchemaError:
        return MixedSchemaError(
            f"cannot read {self.what}: the files in the folder {str(self.path)!r} {reason}",
            path=str(self.path),
        )
