"""The model behind the out-of-fold probabilities: small, standard, for any table."""

from __future__ import annotations

from typing import Any

import pandas as pd

from driftline.errors import InputError

__all__ = ["MODEL_KINDS", "make_model"]

MODEL_KINDS = ("logistic", "forest", "boosting")


def make_model(kind: str, X: pd.DataFrame, seed: int) -> Any:
    """A scikit-learn pipeline: numbers imputed and scaled, text one-hot, then ``kind``."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if kind not in MODEL_KINDS:
        raise InputError(f"the audit's model must be one of {', '.join(MODEL_KINDS)}, got {kind!r}")
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    other = [c for c in X.columns if c not in numeric]
    prepare = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(), StandardScaler()), numeric),
            (
                "categories",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="(missing)"),
                    OneHotEncoder(handle_unknown="ignore", max_categories=30),
                ),
                other,
            ),
        ]
    )
    if kind == "logistic":
        model: Any = LogisticRegression(max_iter=1000)
    elif kind == "forest":
        model = RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1)
    else:
        model = HistGradientBoostingClassifier(random_state=seed)
    return make_pipeline(prepare, model)
