"""The public surface of driftline.represent, its docstring examples, and its import cost."""

import doctest
import importlib
import subprocess
import sys

import pytest

import driftline.represent

MODULES = [
    "driftline.represent._base",
    "driftline.represent._classifier",
    "driftline.represent._detector",
    "driftline.represent._frozen",
    "driftline.represent._ks",
    "driftline.represent._mmd",
    "driftline.represent._model_output",
    "driftline.represent._outlier",
    "driftline.represent._pca",
    "driftline.represent.checks",
]


def test_all_names_exist_and_are_sorted():
    names = driftline.represent.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(driftline.represent, name) is not None


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_import_does_not_load_heavy_extras():
    code = (
        "import sys, driftline.represent; "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
