"""Where a version came from: the code revision (the data's fingerprint is ``driftline.io``'s)."""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["git_revision"]


def git_revision(path: str | Path = ".") -> str | None:
    """The commit checked out at ``path``, with ``-dirty`` when files changed; None outside git."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, timeout=5
        )
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
