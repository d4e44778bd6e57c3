"""Every error driftline raises, in one tree.

Each class also inherits the builtin it resembles, so ``except ValueError``
keeps working for callers who do not know driftline::

    DriftlineError
    ├── ConfigError (ValueError)            a setting, flag or file is wrong
    ├── InputError (ValueError)             data or an argument is wrong
    │   ├── SchemaError                     a batch does not match a signature
    │   ├── UnlikeTrainingError             the input guard refused inputs unlike training
    │   ├── FeatureLookupError              a request's entity has no usable feature values
    │   ├── ArtifactError                   a model file cannot be read
    │   │   └── UntrustedArtifactError      it would run code we do not trust
    │   └── UnreadableDataError             a table cannot be read from a path
    │       ├── DataNotFoundError           nothing at that path
    │       └── MixedSchemaError            a folder's files disagree on their columns
    ├── NotFoundError (LookupError)         no such model, version or alias
    ├── ConflictError                       it exists already
    ├── IntegrityError                      stored data was changed behind our back
    │   ├── TamperedArtifactError           an artifact's sha256 does not match
    │   └── AuditChainError                 the audit chain is broken
    ├── AuthError (PermissionError)         who is asking may not do this
    │   ├── UnauthenticatedError            no valid token was given
    │   └── ForbiddenError                  the token's role is too low
    ├── UnavailableError                    not ready, or too busy to answer in time
    ├── RateLimitedError                    one caller sent more than its rate limit
    ├── StorageError (OSError)              the database or artifact store failed
    └── MissingDependencyError (ImportError) an optional extra is not installed

The surfaces choose what each means to a person: the CLI's exit codes and the
HTTP status codes are decided in one place each (``driftline.cli`` and the
server edge), never here.
"""

from __future__ import annotations

__all__ = [
    "ArtifactError",
    "AuditChainError",
    "AuthError",
    "ConfigError",
    "ConflictError",
    "DataNotFoundError",
    "DriftlineError",
    "FeatureLookupError",
    "ForbiddenError",
    "InputError",
    "IntegrityError",
    "MissingDependencyError",
    "MixedSchemaError",
    "NotFoundError",
    "RateLimitedError",
    "SchemaError",
    "StorageError",
    "TamperedArtifactError",
    "UnauthenticatedError",
    "UnavailableError",
    "UnlikeTrainingError",
    "UnreadableDataError",
    "UntrustedArtifactError",
]


class DriftlineError(Exception):
    """Base of every error driftline raises on purpose."""


class ConfigError(DriftlineError, ValueError):
    """A setting, flag or configuration file is wrong."""


class InputError(DriftlineError, ValueError):
    """Data or an argument given by the caller is wrong."""


class SchemaError(InputError):
    """A batch does not match the signature it is checked against.

    ``field`` and ``row`` name the first offending place when known.
    """

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.row = row


class FeatureLookupError(InputError):
    """A request's entity has no feature values in the online store, or only stale ones.

    ``view`` and ``entity`` name them; raised only where the deployment's policy says to fail.
    """

    def __init__(self, message: str, *, view: str, entity: str) -> None:
        super().__init__(message)
        self.view = view
        self.entity = entity


class ArtifactError(InputError):
    """A model artifact cannot be read or is of an unknown kind."""


class UntrustedArtifactError(ArtifactError):
    """Loading an artifact would execute types nobody has trusted."""

    def __init__(self, message: str, *, untrusted: list[str] | None = None) -> None:
        super().__init__(message)
        self.untrusted = list(untrusted or [])


class UnreadableDataError(InputError):
    """A table cannot be read from the file or folder given; ``path`` names it."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class DataNotFoundError(UnreadableDataError):
    """No file or folder exists at the path given for a table."""


class MixedSchemaError(UnreadableDataError):
    """The files of a folder do not share their column names and types."""


class NotFoundError(DriftlineError, LookupError):
    """No model, version, alias or other named thing matches."""


class ConflictError(DriftlineError):
    """The thing to create exists already."""


class IntegrityError(DriftlineError):
    """Stored data no longer matches what driftline wrote."""


class TamperedArtifactError(IntegrityError):
    """An artifact's content does not match the sha256 recorded at registration."""


class AuditChainError(IntegrityError):
    """The audit chain does not verify; ``seq`` names the first bad event."""

    def __init__(self, message: str, *, seq: int | None = None) -> None:
        super().__init__(message)
        self.seq = seq


class AuthError(DriftlineError, PermissionError):
    """The caller may not do this."""


class UnauthenticatedError(AuthError):
    """No token, or a token that is unknown, revoked or expired."""


class ForbiddenError(AuthError):
    """The token is valid but its role does not allow this action."""


class UnavailableError(DriftlineError):
    """Not ready yet, or too busy to answer before the deadline; try again."""


class RateLimitedError(DriftlineError):
    """One caller (a token or a client address) sent more than its rate limit allows.

    ``retry_after`` is the wait in seconds before one more request would pass.
    """

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnlikeTrainingError(InputError):
    """The input guard refused inputs unlike anything in the model's training data."""


class StorageError(DriftlineError, OSError):
    """The metadata database or the artifact store failed."""


class MissingDependencyError(DriftlineError, ImportError):
    """An optional extra is needed; the message says what to install."""


def require(module: str, extra: str) -> object:
    """Import an optional module or raise an install hint naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{module!r} is not installed; install it with: pip install 'driftline[{extra}]'"
        ) from exc
