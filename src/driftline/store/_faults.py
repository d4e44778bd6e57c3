"""Every failure of the artifact store's backend, said as one sentence a person can act on.

fsspec drivers raise what their client library raises: a local folder raises
``OSError``; s3fs raises ``OSError`` subclasses for what it recognises and
botocore's own exceptions (unreachable endpoint, missing credentials) for the
rest. All of them become :class:`StorageError` here, naming the store's URL,
the endpoint and what to check.
"""

from __future__ import annotations

import socket
import sys

from driftline.errors import StorageError

__all__ = ["is_missing_bucket", "storage_error"]


def _links(exc: BaseException) -> list[BaseException]:
    """``exc``, then what it wraps: causes, contexts and botocore's wrapped errors."""
    out: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is seen for seen in out):
            continue
        out.append(current)
        kwargs = getattr(current, "kwargs", None)
        wrapped = kwargs.get("error") if isinstance(kwargs, dict) else None
        for nxt in (wrapped, current.__cause__, current.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
    return out


def _error_code(exc: BaseException) -> str | None:
    """The S3 error code (``NoSuchBucket``, ``AccessDenied``...) somewhere in the chain."""
    for link in _links(exc):
        response = getattr(link, "response", None)
        if isinstance(response, dict):
            code = response.get("Error", {}).get("Code")
            if code:
                return str(code)
    return None


def is_missing_bucket(exc: BaseException) -> bool:
    """s3fs raises ``FileNotFoundError`` both for a missing key and a missing bucket."""
    return _error_code(exc) == "NoSuchBucket" or "bucket does not exist" in str(exc)


def _botocore(name: str) -> type[BaseException] | None:
    # Only look botocore up when it is loaded: if it is not, it raised nothing.
    module = sys.modules.get("botocore.exceptions")
    found = getattr(module, name, None) if module is not None else None
    return found if isinstance(found, type) and issubclass(found, BaseException) else None


def _is(exc: BaseException, *names: str) -> bool:
    kinds = tuple(k for k in (_botocore(n) for n in names) if k is not None)
    return bool(kinds) and isinstance(exc, kinds)


def _reason(exc: BaseException) -> str:
    """The network reason at the bottom of a connection failure, in plain words."""
    links = _links(exc)
    for link in links:
        if isinstance(link, ConnectionRefusedError):
            return "connection refused"
        if isinstance(link, socket.gaierror):
            return "its host name is unknown"
        if isinstance(link, TimeoutError):
            return "it did not answer in time"
    for link in reversed(links):
        text = getattr(link, "strerror", None) or str(link)
        if text:
            return str(text)
    return type(exc).__name__


def storage_error(
    exc: BaseException, *, url: str, endpoint: str | None, doing: str, local: bool
) -> StorageError:
    """The :class:`StorageError` to raise for ``exc``, a failure while ``doing`` something."""
    where = f" at {endpoint}" if endpoint else ""
    s3 = url.startswith(("s3://", "s3a://"))
    code = _error_code(exc)
    if s3 and is_missing_bucket(exc):
        bucket = url.split("://", 1)[1].split("/", 1)[0]
        return StorageError(
            f"the artifact store {url} cannot be used: its bucket {bucket!r} does not exist"
            f"{where}; create the bucket, or set DRIFTLINE_ARTIFACTS_URL to one that exists"
        )
    # botocore's ConnectionError covers refused, unresolvable, proxy and TLS failures;
    # HTTPClientError covers read timeouts and connections dropped mid-answer.
    if _is(exc, "ConnectionError", "HTTPClientError"):
        return StorageError(
            f"the artifact store {url} cannot be reached{where}: {_reason(exc)}; check "
            "DRIFTLINE_S3_ENDPOINT_URL and that the storage server is running"
        )
    if _is(exc, "NoCredentialsError", "PartialCredentialsError"):
        return StorageError(
            f"the artifact store {url} needs credentials and none were found; set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
        )
    if isinstance(exc, PermissionError) or code in {"AccessDenied", "InvalidAccessKeyId"}:
        fix = (
            "check that this user may read and write that folder"
            if local
            else "check the credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE) and the bucket's permissions"
        )
        return StorageError(f"the artifact store {url} refused access while {doing}; {fix}")
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    fix = (
        "check that it is a folder this user can write to, on a disk with room"
        if local
        else "check that it is reachable and try again"
    )
    return StorageError(f"the artifact store {url} failed while {doing}{where}: {detail}; {fix}")
