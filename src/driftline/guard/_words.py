"""The guard's sentences, each with its numbers and what to do."""

from __future__ import annotations

from driftline.words import number, percent, plural

__all__ = ["limited_sentence", "sweep_sentence", "unlike_sentence"]


def unlike_sentence(model: str, rows: list[int], ratios: list[float], total: int) -> str:
    """Why a request was refused: which inputs are unlike training, and how far."""
    shown = rows[:5]
    where = ", ".join(f"row {r} at {number(x)}" for r, x in zip(shown, ratios, strict=False))
    more = f" and {len(rows) - len(shown)} more" if len(rows) > len(shown) else ""
    return (
        f"{plural(len(rows), 'input')} of {total} sent to {model} "
        f"{'is' if len(rows) == 1 else 'are'} unlike anything in its training data "
        f"({where}{more} times as far from the nearest training rows as the line "
        "that 1 in 100 training-like inputs cross); check those values, or send inputs "
        "like the ones the model was trained on"
    )


def limited_sentence(who: str, rate: float, wait: float) -> str:
    return (
        f"too many inputs from {who}: the limit is {rate:g} a second; "
        f"retry in {max(wait, 0.001):.2g} s"
    )


def sweep_sentence(
    model: str,
    who: str,
    rows: int,
    single_change: int,
    near_duplicates: int,
    distinct: float,
) -> str:
    """The query-budget alert: one caller's inputs look like a systematic sweep."""
    signs = []
    if single_change:
        signs.append(
            f"{plural(single_change, 'input')} ({percent(single_change / max(rows - 1, 1))}) "
            "differ from the one before in a single column"
        )
    if near_duplicates:
        signs.append(
            f"{plural(near_duplicates, 'input')} ({percent(near_duplicates / rows)}) "
            "are near-duplicates of another"
        )
    signs.append(f"its columns hold a median of {number(distinct)} distinct values")
    return (
        f"{who} sent {plural(rows, 'input')} to {model} in a pattern that looks like a "
        f"systematic sweep: {'; '.join(signs)}; this is how a model is copied or probed: "
        "check who holds it, and revoke it (driftline token revoke ID) or lower its rate limit"
    )
