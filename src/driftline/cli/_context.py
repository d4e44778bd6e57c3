"""What every command shares: the global options, opening the workspace, printing."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from driftline.workspace import Workspace


@dataclasses.dataclass
class Context:
    home: Path | None = None
    debug: bool = False

    def workspace(self) -> Workspace:
        from driftline.workspace import Workspace

        return Workspace.open(self.home, create=False)


def examples(*lines: str) -> str:
    """A command's help epilog: example invocations, each on its own unwrapped line."""
    # "\b" tells click to keep the next paragraph as written instead of rewrapping it.
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def console() -> Console:
    return Console(file=sys.stdout, highlight=False)


def echo_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def write_output(path: Path, text: str, what: str, quiet: bool) -> None:
    """Write a report file and say so: on stderr when ``quiet`` keeps stdout pure JSON."""
    from driftline.errors import InputError

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the {what} to {str(path)!r}: {exc.strerror}") from exc
    message = f"wrote the {what} to {path}"
    if quiet:  # keep stdout pure JSON for scripts
        print(message, file=sys.stderr)
    else:
        console().print(message)
