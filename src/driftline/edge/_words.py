"""The sentences of edge work: exports refused or made, files ingested, students distilled."""

from __future__ import annotations

from driftline.words import plural

__all__ = [
    "distilled_sentence",
    "exported_sentence",
    "ingested_sentence",
    "refused_sentence",
    "share",
    "size",
]


def share(value: float, against: float | None = None) -> str:
    """A share as a percentage, with the decimals it needs to differ from ``against``.

    >>> share(0.9949, 0.995), share(0.98, 0.995), share(1.0), share(0.99999), share(0.9723)
    ('99.49%', '98%', '100%', '99.999%', '97.2%')
    """
    exact = round(value * 100, 3)
    start = len(f"{against * 100:g}".partition(".")[2]) if against is not None else 0
    for decimals in range(start, 3):
        text = f"{value * 100:.{decimals}f}"
        if float(text) == exact:
            return f"{exact:g}%"
        if value < 1 and float(text) >= 100:
            continue  # never "100%" for what is not all
        if against is not None and text == f"{against * 100:.{decimals}f}":
            continue  # never the threshold's own figure for what is not it
        if against is not None or decimals >= 1:
            return f"{text}%"
    return f"{exact:g}%"


def size(n: int) -> str:
    """Bytes as people read them.

    >>> size(512), size(20_480), size(3_500_000)
    ('512 bytes', '20 KB', '3.5 MB')
    """
    if n < 1000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1000:.0f} KB"
    return f"{n / 1_000_000:.1f} MB"


def refused_sentence(ref: str, form: str, agreement: float, rows: int, threshold: float) -> str:
    """Why an export was refused, with its numbers and what to do.

    >>> refused_sentence("churn:3", "onnx-int8", 0.9871, 1000, 0.995)
    'the onnx-int8 form of churn:3 answers as the original on 98.7% of 1,000 rows, below the 99.5% required, so nothing was exported; export it without --quantize, or lower --min-agreement if 98.7% is good enough'
    """
    got = share(agreement, threshold)
    return (
        f"the {form} form of {ref} answers as the original on {got} of {plural(rows, 'row')}, "
        f"below the {share(threshold)} required, so nothing was exported; export it without "
        f"--quantize, or lower --min-agreement if {got} is good enough"
    )


def exported_sentence(ref: str, form: str, agreement: float, rows: int, nbytes: int) -> str:
    """What an export made.

    >>> exported_sentence("churn:3", "onnx-int8", 0.998, 1000, 2_400_000)
    'exported churn:3 as onnx-int8 (2.4 MB), answering as the original on 99.8% of 1,000 rows'
    """
    return (
        f"exported {ref} as {form} ({size(nbytes)}), answering as the original on "
        f"{share(agreement)} of {plural(rows, 'row')}"
    )


def ingested_sentence(ref: str, added: int, duplicates: int, unreadable: int, files: int) -> str:
    """What an ingest added, and what it left out and why.

    >>> ingested_sentence("churn", 120, 0, 0, 1)
    'added 120 edge predictions of churn from 1 file to the inference log'
    >>> ingested_sentence("churn", 0, 120, 2, 2)
    'added 0 edge predictions of churn from 2 files to the inference log; 120 were there already (ingested before) and 2 lines could not be read (a torn or edited line) and were left out'
    """
    text = (
        f"added {plural(added, 'edge prediction')} of {ref} from {plural(files, 'file')} "
        "to the inference log"
    )
    notes = []
    if duplicates:
        notes.append(
            f"{duplicates:,} {'was' if duplicates == 1 else 'were'} there already (ingested before)"
        )
    if unreadable:
        verb = "was" if unreadable == 1 else "were"
        notes.append(
            f"{plural(unreadable, 'line')} could not be read (a torn or edited line) "
            f"and {verb} left out"
        )
    return text + ("; " + " and ".join(notes) if notes else "")


def distilled_sentence(
    teacher: str, student: str, kind: str, agreement: float, rows: int, smaller: float
) -> str:
    """What a distillation registered.

    >>> distilled_sentence("churn:3", "churn:4", "tree", 0.972, 2000, 0.04)
    'registered churn:4, a tree distilled from churn:3: it answers as its teacher on 97.2% of 2,000 held-out rows at 4% of its size'
    """
    return (
        f"registered {student}, a {kind} distilled from {teacher}: it answers as its teacher on "
        f"{share(agreement)} of {plural(rows, 'held-out row')} at {share(smaller)} of its size"
    )
