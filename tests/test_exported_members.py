"""The public surface is what users import; it must stay importable and light."""

import subprocess
import sys
from pathlib import Path

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


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    probe = f"{code}; import sys; print(','.join(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_the_first_drift_stays_light() -> None:
    # scipy.stats alone took ~0.7 s to import, more than the drift it served.
    heavy = ("scipy.stats", "sklearn", "torch", "fastapi", "onnxruntime", "sqlalchemy")
    frames = (
        "import numpy as np, pandas as pd, driftline; rng = np.random.default_rng(0); "
        "ref = pd.DataFrame({'x': rng.normal(size=3000), 'k': rng.integers(0, 5, 3000), "
        "'c': rng.choice(['a', 'b'], 3000)}); "
        "cur = ref.assign(x=ref['x'] + 0.5); "
        "assert driftline.drift(ref, cur).drifted_columns == ['x']"
    )
    assert _loaded_after(frames, heavy) == []


def test_the_drift_command_stays_light(tmp_path: Path) -> None:
    # What `driftline drift ref.parquet cur.parquet` imports: no pandas either, since
    # reading Parquet batch by batch and printing the report need none.
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    for side in ("ref", "cur"):
        table = {"x": rng.normal(size=2000), "k": rng.integers(0, 5, 2000)}
        pq.write_table(pa.table({**table, "c": pa.array(rng.choice(["a", "b"], 2000))}),
                       tmp_path / f"{side}.parquet")  # fmt: skip
    heavy = ("scipy.stats", "sklearn", "sqlalchemy", "alembic", "pandas", "pyarrow.dataset")
    code = (
        "from driftline.cli._app import app; from typer.testing import CliRunner; "
        f"r = CliRunner().invoke(app, ['drift', {str(tmp_path / 'ref.parquet')!r}, "
        f"{str(tmp_path / 'cur.parquet')!r}]); "
        "assert r.exit_code in (0, 1), r.output"
    )
    assert _loaded_after(code, heavy) == []


def test_the_drift_command_on_numbers_stays_lighter(tmp_path: Path) -> None:
    # Numbers are read from their buffers: pyarrow.compute (30 ms to import) serves text
    # only; np.unique and np.median import numpy.ma (20 ms) and are not used.
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    for side in ("ref", "cur"):
        table = {"x": rng.normal(size=3000), "k": rng.integers(0, 5, 3000)}
        table["m"] = np.where(rng.random(3000) < 0.1, np.nan, rng.normal(size=3000))
        pq.write_table(pa.table(table), tmp_path / f"{side}.parquet")
    code = (
        "import io, sys; from driftline.cli._app import main; sys.stdout = io.StringIO(); "
        f"code = main(['drift', {str(tmp_path / 'ref.parquet')!r}, "
        f"{str(tmp_path / 'cur.parquet')!r}]); sys.stdout = sys.__stdout__; assert code in (0, 1)"
    )
    assert _loaded_after(code, ("pyarrow.compute", "numpy.ma", "pandas")) == []
