"""How a failure reaches a person: one line on stderr and an exit code, decided here only.

A :class:`~driftline.errors.DriftlineError` is a sentence already; anything
else is a bug of driftline's, so its line says so, and its traceback goes to
a file the line names (``--debug`` prints it instead).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from driftline.errors import (
    DriftlineError,
    InputError,
    IntegrityError,
    MissingDependencyError,
    NotFoundError,
    StorageError,
)

__all__ = ["CRASH_FOLDER", "exit_code", "one_line", "report_bug", "say_error"]

# Under the workspace; not its inference log folder, whose files readers list.
CRASH_FOLDER = "crashes"
# An unexpected exception's message is cut here: it may quote a whole file.
_MAX_BUG_MESSAGE = 300


# Exit codes: 2 when the caller asked for something wrong (fix the command),
# 1 when the work itself failed.
def exit_code(exc: DriftlineError) -> int:
    if isinstance(exc, InputError | NotFoundError):
        return 2
    if isinstance(exc, IntegrityError | StorageError | MissingDependencyError):
        return 1
    return 2 if isinstance(exc, ValueError) else 1


def mask_url(text: str) -> str:
    """``text`` with any URL's password masked (driftline.store's rule)."""
    # Imported on failure only: the store brings SQLAlchemy and Alembic, about a third
    # of a second that a command which never opens the workspace should not pay.
    from driftline.store import mask_url as mask

    return mask(text)


def one_line(text: str) -> str:
    """``text`` as a single printable line with any URL's password masked."""
    printable = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(mask_url(printable).split())


def say_error(message: str) -> None:
    print(f"driftline: error: {one_line(message)}", file=sys.stderr)


def report_bug(exc: BaseException, args: Sequence[str]) -> None:
    """Say in one line that driftline failed unexpectedly, and where its traceback went."""
    message = one_line(str(exc)).rstrip(".") or "(no message)"
    if len(message) > _MAX_BUG_MESSAGE:
        message = message[: _MAX_BUG_MESSAGE - 3] + "..."
    saved = _save_traceback(exc, args)
    where = (
        f"the traceback is in {saved}"
        if saved is not None
        else "the traceback could not be saved; rerun with --debug to see it"
    )
    say_error(
        f"unexpected {type(exc).__name__}: {message}. This is a bug in driftline; {where} "
        "(please attach it to a bug report)"
    )


def _save_traceback(exc: BaseException, args: Sequence[str]) -> Path | None:
    from driftline import __version__

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    name = f"crash-{stamp}-{os.getpid()}.txt"
    text = "".join(
        [
            f"driftline {__version__}, Python {platform.python_version()} on {platform.platform()}\n",
            f"command: driftline {' '.join(mask_url(a) for a in args)}\n\n",
            *(mask_url(line) for line in traceback.format_exception(exc)),
        ]
    )
    text = _redacted(text, args)
    for folder in _crash_folders(args):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8")
        except OSError:
            continue
        return path
    return None


def _redacted(text: str, args: Sequence[str]) -> str:
    """The traceback with the personal values its frames quote redacted (the workspace's policy)."""
    from driftline.privacy import PrivacyPolicy, Redactor

    try:
        from driftline.settings import Settings

        redactor = Redactor.from_settings(Settings.load(_home_argument(args)))
    except Exception:  # a broken setting must not lose the traceback: redact by the defaults
        redactor = Redactor(PrivacyPolicy())
    return redactor.text(text)


def _crash_folders(args: Sequence[str]) -> list[Path]:
    """The workspace's crash folder when the workspace exists, then the temp folder."""
    folders = []
    try:
        from driftline.settings import Settings

        home = Settings.load(_home_argument(args)).home
        if home.is_dir():
            folders.append(home / CRASH_FOLDER)
    except Exception:  # a broken setting must not hide the traceback too
        pass
    folders.append(Path(tempfile.gettempdir()))
    return folders


def _home_argument(args: Sequence[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg == "--home" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--home="):
            return arg.split("=", 1)[1]
    return None
