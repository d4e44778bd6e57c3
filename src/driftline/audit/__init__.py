"""The audit chain: an append-only, hash-chained record of every state change.

:func:`verify` checks it in the database; :func:`export` writes it as JSON
lines and :func:`verify_file` checks such a file with no database at all.
:func:`sign_head` signs the head with an Ed25519 key kept outside the
workspace (:func:`generate_keys` makes one), so a rewrite of the database,
however consistent, fails verification against the public key.
"""

from driftline.audit._chain import AuditEvent, append, events, verify
from driftline.audit._export import Export, export, verify_file
from driftline.audit._hash import GENESIS
from driftline.audit._keys import SIGN_ACTION, PublicKey
from driftline.audit._keys import generate as generate_keys
from driftline.audit._sign import SignedHead, sign_head
from driftline.audit._verify import VerifyResult

__all__ = [
    "GENESIS",
    "SIGN_ACTION",
    "AuditEvent",
    "Export",
    "PublicKey",
    "SignedHead",
    "VerifyResult",
    "append",
    "events",
    "export",
    "generate_keys",
    "sign_head",
    "verify",
    "verify_file",
]
