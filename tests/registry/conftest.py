import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


@pytest.fixture(scope="session")
def churn() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n),
            "tenure": rng.exponential(24, n).round(1),
            "region": rng.choice(["north", "south", "east"], n),
        }
    )
    logit = 0.04 * (df["age"] - 45) - 0.05 * df["tenure"] + (df["region"] == "south") * 0.8
    df["churned"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return df


@pytest.fixture(scope="session")
def pipeline(churn: pd.DataFrame) -> Pipeline:
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age", "tenure"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
        ]
    )
    model = Pipeline(
        [("pre", pre), ("rf", RandomForestClassifier(n_estimators=10, random_state=0))]
    )
    return model.fit(churn.drop(columns="churned"), churn["churned"])
