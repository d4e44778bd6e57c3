"""Personal data never reaches disk: detectors, a per-column policy, and the keyed hash.

:class:`Detector` finds e-mail addresses, phone numbers (region-aware, with
``phonenumbers``), payment card numbers (Luhn), IBANs and national identifiers
(by their check digits, with ``python-stdnum``) and IP addresses in text, and
card numbers among numbers. :class:`PrivacyPolicy` (the ``[privacy]`` table of
``driftline.toml``) says per column whether a value is ``redact``-ed, ``hash``-ed
with the workspace secret (HMAC-SHA256; the secret lives outside the database,
see :func:`workspace_secret`), ``drop``-ped or kept; columns it does not name are
scanned and what is found is redacted. A model's signature can mark columns
personal too (``Redactor.mark_personal``, by the writers that know the model).
:class:`Redactor` applies it.

Every path that writes what a caller sent goes through a :class:`Redactor`:

* the inference log (``driftline.store.InferenceLog``: ``append`` and ``commit``
  both redact before encoding), which carries serving's predictions, labels,
  outcomes and failures, ``batch --log``, ``stream --log`` and edge ingest;
  compaction to Parquet and ``forget`` read back what was already redacted;
* batch rejects files (``driftline.batch``: rows that broke the signature, with
  the reason, which quotes the value) and the per-partition profiles beside the
  output (their category names, extremes and sample are rows' values);
* stream dead letters (``driftline.stream``: the reason and the held fields);
* monitoring windows' stored drift and quality findings (they quote values,
  and a window can read a file rather than the log) and alerts
  (``driftline.monitor`` and ``driftline.loop``: the stored sentence);
* HTML reports written by the CLI (``driftline drift``, ``data check``,
  ``gate``, ``evaluate`` with ``--html``);
* crash files (``driftline.cli``: the traceback quotes the failing call's values);
* ``forget`` (``driftline.governance``) looks for what the policy stored.

Signature validation errors quote the offending value back to the caller (in
the HTTP response or on the terminal, which is theirs); where such a message is
written (a rejects file, a dead letter, a failure record), it is redacted there.
Not covered: what a user writes themselves (batch output files, which carry
their own key column to the place they name), the training data a model is
registered with (its signature's categories and its reference profile, except
for the columns its signature marks personal, which keep none), the
feature values materialized into the online store from the user's own tables,
and the log an exported edge runner keeps on its device (redacted when
ingested).
"""

from driftline.privacy._detect import KINDS, Detector, Finding
from driftline.privacy._policy import ACTIONS, PrivacyPolicy
from driftline.privacy._redact import REDACTED, Redactor
from driftline.privacy._secret import SECRET_FILE, keyed_hash, workspace_secret

__all__ = [
    "ACTIONS",
    "KINDS",
    "REDACTED",
    "SECRET_FILE",
    "Detector",
    "Finding",
    "PrivacyPolicy",
    "Redactor",
    "keyed_hash",
    "workspace_secret",
]
