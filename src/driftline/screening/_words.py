"""The audit's findings in plain sentences; each template is tested with its numbers."""

from __future__ import annotations

from driftline.words import listing, name, percent, plural

__all__ = [
    "cross_sentence",
    "duplicates_sentence",
    "echo_sentence",
    "label_sentence",
    "leak_sentence",
    "near_sentence",
    "outlier_sentence",
    "rows_text",
]


def rows_text(rows: list[str], limit: int = 5) -> str:
    """Rows named in a sentence: "rows 3, 17 and 40", "keys a, b, c, d, e and 2 more"."""
    return listing(rows, limit)


def label_sentence(k: int, n: int, examples: list[str]) -> str:
    """
    >>> label_sentence(52, 1000, ["3", "17"])
    'The labels of 52 rows (5.2%) look wrong: a model that never saw them is confident they belong to another class (rows 3 and 17 first); check them before training.'
    """
    return (
        f"The labels of {plural(k, 'row')} ({percent(k / n)}) look wrong: a model that never "
        f"saw them is confident they belong to another class (rows {rows_text(examples)} "
        f"first); check them before training."
    )


def duplicates_sentence(copies: int, groups: int, conflicting: int) -> str:
    """
    >>> duplicates_sentence(30, 12, 2)
    '30 rows repeat another row exactly (12 groups); 2 of these groups disagree on the label, so at least one label in each is wrong.'
    >>> duplicates_sentence(1, 1, 0)
    '1 row repeats another row exactly (1 group); drop the copies or check why they repeat.'
    """
    verb = "repeats" if copies == 1 else "repeat"
    head = f"{plural(copies, 'row')} {verb} another row exactly ({plural(groups, 'group')})"
    if conflicting:
        return (
            f"{head}; {conflicting:,} of these groups disagree on the label, so at least one "
            f"label in each is wrong."
        )
    return f"{head}; drop the copies or check why they repeat."


def near_sentence(pairs: int, examples: list[str]) -> str:
    """
    >>> near_sentence(4, ["2 and 9"])
    '4 pairs of rows are nearly identical (rows 2 and 9 first): copies with a small change, or rows entered twice.'
    """
    return (
        f"{plural(pairs, 'pair')} of rows {'is' if pairs == 1 else 'are'} nearly identical "
        f"(rows {examples[0]} first): copies with a small change, or rows entered twice."
    )


def cross_sentence(exact: int, near: int, n_eval: int) -> str:
    """
    >>> cross_sentence(25, 3, 500)
    '25 evaluation rows (5%) are also in the training data, and 3 nearly so: the evaluation overstates how the model does on new rows; remove them from one side.'
    """
    return (
        f"{plural(exact, 'evaluation row')} ({percent(exact / n_eval)}) "
        f"{'is' if exact == 1 else 'are'} also in the training data, and {near:,} nearly so: "
        f"the evaluation overstates how the model does on new rows; remove them from one side."
    )


def outlier_sentence(k: int, n: int, fpr: float) -> str:
    """
    >>> outlier_sentence(31, 1000, 0.01)
    '31 rows (3.1%) are unlike the rest of the data, where about 1% would be by chance: check them for entry errors or injected rows.'
    """
    return (
        f"{plural(k, 'row')} ({percent(k / n)}) {'is' if k == 1 else 'are'} unlike the rest of "
        f"the data, where about {percent(fpr)} would be by chance: check them for entry errors "
        f"or injected rows."
    )


def leak_sentence(column: str, auc: float) -> str:
    """
    >>> leak_sentence("refund_issued", 0.9981)
    '`refund_issued` alone predicts the label with AUC 0.998: a feature this good is often the label in disguise (leakage); check that its value is known before the outcome.'
    """
    return (
        f"{name(column)} alone predicts the label with AUC {auc:.3f}: a feature this good is "
        f"often the label in disguise (leakage); check that its value is known before the "
        f"outcome."
    )


def echo_sentence(model: str, matched: int, observed: float, expected: float) -> str:
    """
    >>> echo_sentence("churn", 400, 0.97, 0.82)
    "400 training rows were scored by churn; 97% of their labels equal churn's own prediction where 82% would be expected: labels that echo the model are a sign of a feedback loop."
    """
    return (
        f"{plural(matched, 'training row')} {'was' if matched == 1 else 'were'} scored by "
        f"{model}; {percent(observed)} of their labels equal {model}'s own prediction where "
        f"{percent(expected)} would be expected: labels that echo the model are a sign of a "
        f"feedback loop."
    )
