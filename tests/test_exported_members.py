"""The public surface is what users import; it must stay importable and light."""

import subprocess
import sys

import pytest

import driftline


def test_all_names_resolve() -> None:
    for name in driftline.__all__:
        assert getattr(driftline, name) is not None, name


def test_all_lists_every_lazy_export() -> None:
    assert sorted(driftline.__all__) == sorted(["__version__", *driftline._EXPORTS])


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="does_not_exist"):
        driftline.does_not_exist  # noqa: B018


def test_import_is_light() -> None:
    code = (
        "import sys, driftline; "
        "heavy = [m for m in ('torch', 'sklearn', 'sqlalchemy', 'fastapi', 'ray', 'redis', "
        "'sentence_transformers', 'onnxruntime', 'pandas', 'scipy.stats', 'numpy') "
        "if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
