"""A year of loan applications: the seeded world the demo replays.

A bank scores loan applications for the chance of default. Each customer has
a credit file (score, years as a customer, earlier defaults) that the feature
store serves by customer id; each application brings the amount, income, age,
term, purpose and a free-text note. The year has three periods:

- months 1-4, stable: applicants like those the model was trained on;
- months 5-8, covariate shift: a campaign brings younger applicants with lower
  incomes asking for larger loans, where the first model's straight-line view
  of debt is wrong (the risk of a high debt-to-income ratio rises steeply);
- months 9-12, concept drift: a relief scheme lets heavily indebted borrowers
  defer payments, so the same applicants default less often than a high
  debt-to-income ratio had taught; their inputs look like months 5-8, only the
  labels tell.

Whether a loan defaulted is known a month after the application (the first
repayment is due then), so labels arrive with a month's delay. A few notes
carry personal values (e-mail addresses, phone numbers), as free text does;
the training data has a share of its labels flipped, as data entered by hand
does. Everything follows from one seed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["MONTHS", "PERIODS", "Year", "simulate"]

MONTHS = 12
# The period of each month (1-based), as the story tells it.
PERIODS = {m: "stable" if m <= 4 else "shift" if m <= 8 else "concept" for m in range(1, 13)}
START = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)  # month 1; the year ends before today
PURPOSES = ["car", "home", "education", "business", "debt"]
NOTES = [
    "new car for work",
    "kitchen renovation",
    "consolidate two cards",
    "tuition for next term",
    "stock for the shop",
    "wedding",
    "roof repair",
    "",
]
# Personal values a customer typed into the note; none of them may reach the disk.
PLANTED = [
    "jane.okafor@example.org",
    "+44 20 7946 0958",
    "m.lindqvist@example.net",
    "+1 202 555 0147",
    "tomas.reyes@example.com",
    "+33 1 70 36 18 42",
]


@dataclasses.dataclass(frozen=True)
class Year:
    """The simulated world: credit files, training data and a year of applications."""

    customers: pd.DataFrame  # customer_id, as_of, credit_score, tenure_years, prior_defaults
    train: pd.DataFrame  # inputs and ``defaulted``, a share of its labels flipped
    holdout: pd.DataFrame  # labelled rows like the training data, never trained on
    flipped: np.ndarray  # row positions of ``train`` whose label was flipped
    months: list[pd.DataFrame]  # application_id, customer_id, inputs, note, defaulted
    planted: list[str]

    @property
    def inputs(self) -> list[str]:
        return [c for c in self.train.columns if c != "defaulted"]


def simulate(*, rows_per_month: int = 500, train_rows: int = 3000, seed: int = 7) -> Year:
    """The world of the demo; the same seed gives the same world."""
    rng = np.random.default_rng(seed)
    n_customers = train_rows + MONTHS * rows_per_month
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(100_001, 100_001 + n_customers),
            "as_of": pd.Timestamp(START) - pd.to_timedelta(rng.integers(1, 300, n_customers), "D"),
            "credit_score": np.clip(rng.normal(680, 60, n_customers), 300, 850).round(),
            "tenure_years": rng.gamma(2.0, 2.5, n_customers).round(1),
            "prior_defaults": rng.poisson(0.25, n_customers).astype("int64"),
        }
    )
    ids = rng.permutation(customers["customer_id"].to_numpy())
    first = _applications(rng, customers, ids[:train_rows], "stable")
    train, holdout = first.iloc[: train_rows * 2 // 3], first.iloc[train_rows * 2 // 3 :]
    flipped = rng.choice(len(train), size=round(0.05 * len(train)), replace=False)
    train = train.reset_index(drop=True)
    labels = train["defaulted"].to_numpy().copy()
    labels[flipped] = 1 - labels[flipped]
    train = train.assign(defaulted=labels)
    months = []
    for m in range(1, MONTHS + 1):
        lo = train_rows + (m - 1) * rows_per_month
        frame = _applications(rng, customers, ids[lo : lo + rows_per_month], PERIODS[m])
        frame.insert(0, "application_id", [f"m{m:02d}-{i:05d}" for i in range(len(frame))])
        frame["month"] = m
        months.append(frame)
    # Plant the personal values in the notes of a few applications across the year.
    for k, value in enumerate(PLANTED):
        month = months[(2 * k + 1) % MONTHS]
        row = int(rng.integers(len(month)))
        month.loc[month.index[row], "note"] = f"please call {value} about the loan"
    keep = ["customer_id", "credit_score", "tenure_years", "prior_defaults", "as_of"]
    return Year(
        customers[keep],
        train.drop(columns=["customer_id"]),
        holdout.drop(columns=["customer_id"]).reset_index(drop=True),
        np.sort(flipped),
        months,
        list(PLANTED),
    )


def _applications(
    rng: np.random.Generator, customers: pd.DataFrame, ids: np.ndarray, period: str
) -> pd.DataFrame:
    n = len(ids)
    files = customers.set_index("customer_id").loc[ids]
    shifted = period != "stable"
    age = np.clip(rng.normal(31 if shifted else 44, 9, n), 18, 85).round()
    income = np.exp(rng.normal(np.log(34 if shifted else 58), 0.35, n)).round(1)  # thousands
    amount = np.exp(rng.normal(np.log(20 if shifted else 14), 0.45, n)).round(1)
    term = rng.choice([12, 24, 36, 60], n, p=[0.2, 0.3, 0.3, 0.2]).astype("int64")
    purpose = rng.choice(PURPOSES, n, p=[0.3, 0.2, 0.15, 0.15, 0.2])
    ratio = amount / income
    # Risk: the credit file, and a debt-to-income ratio whose harm rises steeply past 0.4.
    logit = (
        -1.1
        - 0.008 * (files["credit_score"].to_numpy() - 680)
        + 0.6 * files["prior_defaults"].to_numpy()
        - 0.05 * files["tenure_years"].to_numpy()
        + 0.3 * ratio
        + 8.0 * np.maximum(ratio - 0.5, 0.0)
        + 0.01 * (term - 36)
        + np.where(purpose == "business", 0.4, 0.0)
    )
    if period == "concept":  # a relief scheme: debt no longer ends in default as it did
        logit = logit - 1.0 - 8.0 * np.maximum(ratio - 0.5, 0.0)
    defaulted = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64")
    return pd.DataFrame(
        {
            "customer_id": ids,
            "credit_score": files["credit_score"].to_numpy(),
            "tenure_years": files["tenure_years"].to_numpy(),
            "prior_defaults": files["prior_defaults"].to_numpy(),
            "amount": amount,
            "income": income,
            "age": age,
            "term_months": term,
            "purpose": purpose,
            "note": rng.choice(NOTES, n),
            "defaulted": defaulted,
        }
    )
