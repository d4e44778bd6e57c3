"""A small MLP autoencoder trained on the reference (extra ``deep``: torch)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from driftline.errors import InputError, require
from driftline.represent._base import EncoderBase, check_fitted, seed_from
from driftline.represent._tabular import TabularPreprocessor

__all__ = ["AutoencoderEncoder"]


def _mlp(torch: Any, sizes: Sequence[int]) -> Any:
    layers: list[Any] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


class AutoencoderEncoder(EncoderBase):
    """A non-linear code of the reference learned by a small MLP autoencoder.

    It catches changes in non-linear structure that PCA misses, at the price
    of a training run. Training is seeded and runs inside a forked torch
    random state, so two fits with the same ``random_state`` give the same
    network and the caller's torch seed is left alone.

    Parameters
    ----------
    latent_dim:
        Width of the code returned by ``transform``.
    hidden:
        Widths of the hidden layers of the encoder (the decoder mirrors them).
    epochs, batch_size, learning_rate, weight_decay:
        Adam training on the mean squared reconstruction error.
    scale, max_categories:
        Preprocessing of the table, as in ``PCAEncoder``.
    random_state:
        Seed for initialization and batch order; None draws one.

    Needs torch: ``pip install 'driftline[deep]'``.
    """

    def __init__(
        self,
        *,
        latent_dim: int = 8,
        hidden: Sequence[int] = (64,),
        epochs: int = 50,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        scale: bool = True,
        max_categories: int = 50,
        random_state: int | None = 0,
    ) -> None:
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.scale = scale
        self.max_categories = max_categories
        self.random_state = random_state

    def _validate(self) -> None:
        for name in ("latent_dim", "epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{name} must be a positive int, got {value!r}")
        if any(not isinstance(h, int) or h < 1 for h in self.hidden):
            raise InputError(f"hidden must be positive ints, got {self.hidden!r}")
        if self.learning_rate <= 0:
            raise InputError(f"learning_rate must be positive, got {self.learning_rate}")

    def fit(self, X: Any) -> AutoencoderEncoder:
        self._validate()
        torch: Any = require("torch", "deep")
        preprocessor = TabularPreprocessor(scale=self.scale, max_categories=self.max_categories)
        Z = preprocessor.fit(X).transform(X)
        if Z.shape[1] == 0:
            raise InputError("the reference has no usable columns; pass at least one column")
        seed = seed_from(self.random_state)
        sizes = [Z.shape[1], *self.hidden, self.latent_dim]
        data = torch.as_tensor(Z, dtype=torch.float32)
        losses: list[float] = []
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            encoder, decoder = _mlp(torch, sizes), _mlp(torch, sizes[::-1])
            params = [*encoder.parameters(), *decoder.parameters()]
            optimizer = torch.optim.Adam(
                params, lr=self.learning_rate, weight_decay=self.weight_decay
            )
            generator = torch.Generator().manual_seed(seed)
            for _ in range(self.epochs):
                order = torch.randperm(len(data), generator=generator)
                total = 0.0
                for start in range(0, len(data), self.batch_size):
                    batch = data[order[start : start + self.batch_size]]
                    optimizer.zero_grad()
                    loss = torch.mean((decoder(encoder(batch)) - batch) ** 2)
                    loss.backward()
                    optimizer.step()
                    total += loss.item() * len(batch)
                losses.append(total / len(data))
        encoder.eval()
        decoder.eval()
        self.preprocessor_ = preprocessor
        self.encoder_ = encoder
        self.decoder_ = decoder
        self.loss_curve_ = losses
        self.n_features_encoded_ = Z.shape[1]
        return self

    def _tensor(self, X: Any) -> Any:
        import torch

        return torch.as_tensor(self.preprocessor_.transform(X), dtype=torch.float32)

    def transform(self, X: Any) -> np.ndarray:
        """The latent code of each row, shape (rows, ``latent_dim``)."""
        check_fitted(self, "encoder_")
        import torch

        with torch.no_grad():
            code = self.encoder_(self._tensor(X))
        return np.asarray(code.numpy(), dtype=np.float64)

    def reconstruction_error(self, X: Any) -> np.ndarray:
        """Mean squared reconstruction error of each row in the encoded space."""
        check_fitted(self, "encoder_")
        import torch

        with torch.no_grad():
            data = self._tensor(X)
            error = torch.mean((self.decoder_(self.encoder_(data)) - data) ** 2, dim=1)
        return np.asarray(error.numpy(), dtype=np.float64)
