"""Ray stays optional: nothing imports it until --engine ray, which says how to install it."""

from __future__ import annotations

import subprocess
import sys


def test_importing_batch_does_not_import_ray() -> None:
    code = "import sys, driftline.batch, driftline.cli._batch; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_ray_the_engine_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['ray'] = None\n"  # as if it were not installed
        "from driftline.batch._ray import _ray\n"
        "from driftline.errors import MissingDependencyError\n"
        "try:\n    _ray()\nexcept MissingDependencyError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "--engine ray needs Ray, which is not installed; install it with "
        "pip install 'driftline[ray]', or leave --engine out to score in this process"
    )
