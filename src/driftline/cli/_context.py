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


def console() -> Console:
    return Console(file=sys.stdout, highlight=False)


def echo_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
