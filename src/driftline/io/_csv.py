"""CSV files typed as Arrow types them when it sees a whole file, read in bounded memory.

Arrow's streaming reader fixes each column's type from the first block (256
KiB here) and fails when a later value does not fit: a column of whole
numbers whose first decimal comes late. Arrow's whole-file reader instead loosens the
type and converts again, along a fixed ladder (null, int64, bool, date32,
time32, timestamp[s], timestamp[ns], float64, string). :func:`learn_types`
does the same in bounded memory: it streams every file, and when a value does
not fit it moves that column up the ladder and starts again. The columns
named ``text`` are read as text from the start, so '02139' keeps its zero.
A folder of CSV files is typed as if its files were one long file.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as csv

from driftline.io._place import Place

if TYPE_CHECKING:
    import pyarrow.dataset as ds

__all__ = ["csv_format", "learn_types", "scan", "stream_csv"]

# Arrow's order of loosening (arrow/csv/inference_internal.h); binary is left out: a
# column that is not UTF-8 text is an error we can name.
_LADDER: tuple[pa.DataType, ...] = (
    pa.null(),
    pa.int64(),
    pa.bool_(),
    pa.date32(),
    pa.time32("s"),
    pa.timestamp("s"),
    pa.timestamp("ns"),
    pa.float64(),
    pa.string(),
)
# Blocks of 256 KiB keep a streamed CSV near 11 MB of Arrow memory; at Arrow's default of
# 1 MiB its read-ahead held about 40 MB, for no measurable gain in speed.
_BLOCK = 1 << 18
_NOT_UTF8 = (
    "its column {name!r} holds bytes that are not UTF-8 text; save it as UTF-8 and read it again"
)
_COLUMN = re.compile(r"In CSV column #(\d+):")
_VALUE = re.compile(r"(?:invalid value|zone offset in) '(.*)'", re.DOTALL)


def csv_format(path: Path, types: dict[str, pa.DataType]) -> ds.CsvFileFormat:
    """How to read ``path`` with these column types, as a dataset format."""
    import pyarrow.dataset as ds  # ~0.3 s of imports (pandas among them): only for CSV

    return ds.CsvFileFormat(
        parse_options=_parse(path), convert_options=_convert(types), read_options=_blocks()
    )


def stream_csv(path: Path, schema: pa.Schema, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """The rows of one CSV file, typed by ``schema``, pulled one block at a time."""
    types = dict(zip(schema.names, schema.types, strict=True))
    yield from csv.open_csv(
        pa.input_stream(str(path), compression="detect"),
        read_options=_blocks(),
        parse_options=_parse(path),
        convert_options=_convert(types, columns),
    )


def _parse(path: Path) -> csv.ParseOptions:
    # A comma between fields, or a tab in a .tsv file.
    return csv.ParseOptions(delimiter="\t" if ".tsv" in path.suffixes[-2:] else ",")


def _convert(types: dict[str, pa.DataType], columns: list[str] | None = None) -> csv.ConvertOptions:
    # As in pandas.read_csv: CSV cannot tell an empty string from a missing one, and a
    # missing one is what an empty field almost always means.
    return csv.ConvertOptions(
        column_types=types, include_columns=columns or [], strings_can_be_null=True
    )


def _blocks() -> csv.ReadOptions:
    return csv.ReadOptions(block_size=_BLOCK)


def scan(dataset: ds.Dataset, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    """The dataset's batches in order, reading little ahead: memory stays near a few blocks."""
    return iter(dataset.to_batches(columns=columns, batch_readahead=2, fragment_readahead=1))


def learn_types(
    files: Sequence[Path], *, text: Collection[str], where: Place, collect: bool = False
) -> tuple[pa.Schema, list[pa.RecordBatch]]:
    """The schema of ``files`` read as one CSV: one pass, more only when a type loosens.

    With ``collect`` the rows of the final pass come back too, as record
    batches of that schema; otherwise the list is empty.
    """
    import pyarrow.dataset as ds

    fixed = {name: pa.string() for name in text}
    header: tuple[Path, list[str]] | None = None
    while True:
        kept: list[pa.RecordBatch] = []
        learned: dict[str, pa.DataType] = {}
        for path in files:
            asked = {**learned, **fixed}
            opened: pa.Schema | None = None
            try:
                dataset = ds.dataset(str(path), format=csv_format(path, asked))
                opened = dataset.schema
                header = _same_columns(header, path, opened.names, where)
                for batch in scan(dataset):
                    if collect:
                        kept.append(batch)
            except OSError as exc:  # a damaged compressed file, a file gone meanwhile
                raise where.unreadable(path, "CSV", exc) from exc
            except pa.ArrowInvalid as exc:
                if opened is None:
                    # The first block did not fit a type learned before: name its columns.
                    header = _same_columns(header, path, _header(path, where), where)
                    opened = pa.schema([(n, asked.get(n, pa.null())) for n in header[1]])
                widened = _loosen(exc, opened, path, where)
                if widened is None:
                    raise where.unreadable(path, "CSV", exc) from exc
                fixed.update(widened)
                break
            learned.update(zip(opened.names, opened.types, strict=True))
        else:
            names = header[1] if header is not None else []
            schema = pa.schema([(name, learned[name]) for name in names])
            _check_text(schema, files, where)
            return schema, kept


def _header(path: Path, where: Place) -> list[str]:
    import pyarrow.dataset as ds

    try:
        return list(ds.dataset(str(path), format=csv_format(path, {})).schema.names)
    except (pa.ArrowInvalid, OSError) as exc:
        raise where.unreadable(path, "CSV", exc) from exc


def _same_columns(
    header: tuple[Path, list[str]] | None, path: Path, names: list[str], where: Place
) -> tuple[Path, list[str]]:
    if header is None or header[1] == names:
        return header or (path, list(names))
    first, expected = header
    raise where.mixed(
        f"do not share their columns: {first.name} has {', '.join(expected)} but "
        f"{path.name} has {', '.join(names)}; keep the CSV files of one table, with one "
        f"header, in a folder of their own"
    )


def _loosen(
    exc: pa.ArrowInvalid, schema: pa.Schema, path: Path, where: Place
) -> dict[str, pa.DataType] | None:
    """The next type of the column a value did not fit, or None if the error is another."""
    found = _COLUMN.search(str(exc))
    if found is None or int(found.group(1)) >= len(schema):
        return None
    name = schema.names[int(found.group(1))]
    value = _VALUE.search(str(exc))
    candidate = _next(schema.field(name).type)
    while candidate is not None and value is not None and not _fits(value.group(1), candidate):
        candidate = _next(candidate)
    if candidate is None:
        raise where.unreadable_because(path, _NOT_UTF8.format(name=name)) from exc
    return {name: candidate}


def _check_text(schema: pa.Schema, files: Sequence[Path], where: Place) -> None:
    # Arrow reads bytes that are not UTF-8 as binary: nothing a profile or a model can use.
    for field in schema:
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            raise where.unreadable_because(
                files[0] if len(files) == 1 else where.path, _NOT_UTF8.format(name=field.name)
            )


def _next(type_: pa.DataType) -> pa.DataType | None:
    if pa.types.is_timestamp(type_):
        # A zone seen in the values stays: Arrow infers timestamp[s, tz=UTC] from "...Z".
        return pa.timestamp("ns", tz=type_.tz) if type_.unit == "s" else pa.float64()
    for lower, higher in itertools.pairwise(_LADDER):
        if type_.equals(lower):
            return higher
    return None


def _fits(value: str, type_: pa.DataType) -> bool:
    """Whether one value converts to ``type_``: skips rungs that would fail at once."""
    quoted = '"' + value.replace('"', '""') + '"'
    try:
        csv.read_csv(
            io.BytesIO(f"c\n{quoted}\n".encode()),
            convert_options=_convert({"c": type_}),
        )
    except pa.ArrowInvalid:
        return False
    return True
