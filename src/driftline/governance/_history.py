"""A version's rollout history and approval record, read from the audit chain alone.

Whatever writes them (``driftline alias set``, ``deploy``, the loop's rollout
steps, approvals), state changes are audit events, so the history is
rebuilt by replaying the model's events in order: where each alias pointed
at each moment (``alias.set`` / ``alias.remove``), hence what each
``deploy`` meant for this version (answering the traffic, a canary's share,
a shadow copy). Events of other writers are recognised by their action:
``rollout.*``, ``rollback*``, ``canary*``, ``promot*`` and ``loop.*`` that
concern this version are rollout steps; actions naming ``approv`` or
``reject`` are approvals. Such an event concerns the version when its
subject is ``NAME:VERSION``, or its payload names the version (``version``,
``candidate``, ``canary``, ``to`` or ``from``, as a number or a reference).
Its sentence is its payload's ``sentence`` (or ``reason``) when it has one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any

from driftline.audit import AuditEvent
from driftline.governance._words import at, deployed_sentence

__all__ = ["Entry", "History", "history"]

_ROLLOUT = ("rollout", "rollback", "canary", "promot", "loop.")
_APPROVAL = ("approv", "reject")
_NAMING = ("version", "candidate", "canary", "to", "from")
_SAID = ("sentence", "reason", "message", "why")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One line of history: when, who, what was recorded, and what it meant in words."""

    time: str
    actor: str
    action: str
    sentence: str
    seq: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class History:
    rollout: list[Entry]
    approvals: list[Entry]


def _belongs(subject: str, name: str) -> bool:
    return subject == name or subject.startswith((f"{name}:", f"{name}@", f"{name}/"))


def _names(payload: Mapping[str, Any], name: str, version: int) -> bool:
    """Whether a payload names this version, as a number or a reference."""
    refs = {version, str(version), f"{name}:{version}"}
    return any(payload.get(k) in refs for k in _NAMING if isinstance(payload.get(k), int | str))


def _said(e: AuditEvent) -> str:
    for key in _SAID:
        value = e.payload.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    details = ", ".join(
        f"{k} {json.dumps(v) if not isinstance(v, str) else v}"
        for k, v in e.payload.items()
        if not isinstance(v, dict | list)
    )
    return f"{e.action}" + (f" ({details})" if details else "")


class _Replay:
    """Where aliases point, and how the deployment serves this version, event by event."""

    def __init__(self, name: str, version: int) -> None:
        self.name, self.version = name, version
        self.aliases: dict[str, int] = {}
        self.deployment: dict[str, Any] | None = None
        self.role = ""  # how the deployment serves this version now, in words ("" not served)

    def _role(self) -> str:
        spec = self.deployment
        if spec is None:
            return ""
        mine = {a for a, v in self.aliases.items() if v == self.version}
        roles = []
        if spec.get("alias") in mine:
            roles.append(f"answers the traffic as {spec['alias']}")
        percent = float(spec.get("canary_percent") or 0)
        if spec.get("canary_alias") in mine and percent > 0:
            roles.append(
                f"answers {percent:g}% of the traffic as the canary {spec['canary_alias']}"
            )
        if spec.get("shadow_alias") in mine:
            roles.append(f"gets a shadow copy of the traffic as {spec['shadow_alias']}")
        return " and ".join(roles)

    def step(self, e: AuditEvent) -> list[str]:
        """What ``e`` changed for this version, in words (nothing: an empty list)."""
        said: list[str] = []
        p = e.payload
        if e.action == "alias.set" and e.subject.startswith(f"{self.name}@"):
            alias, new, old = str(p.get("alias")), p.get("version"), p.get("previous")
            self.aliases[alias] = int(new) if isinstance(new, int) else -1
            if new == self.version:
                was = f" (it pointed to version {old})" if old is not None else ""
                said.append(f"{alias} now points to this version{was}")
            elif old == self.version:
                said.append(f"{alias} moved from this version to version {new}")
        elif e.action == "alias.remove" and e.subject.startswith(f"{self.name}@"):
            alias = str(p.get("alias"))
            if self.aliases.pop(alias, None) == self.version:
                said.append(f"the alias {alias} was removed from this version")
        elif e.action == "deploy" and e.subject == self.name:
            self.deployment = dict(p)
        elif e.action == "undeploy" and e.subject == self.name:
            self.deployment = None
        role = self._role()
        if role != self.role:
            said.append(deployed_sentence(role, self.role))
            self.role = role
        return said


def history(events: Iterable[AuditEvent], name: str, version: int) -> History:
    """The rollout history and approvals of ``name:version``, oldest first."""
    replay = _Replay(name, version)
    rollout: list[Entry] = []
    approvals: list[Entry] = []
    ref = f"{name}:{version}"
    for e in events:
        if not _belongs(e.subject, name):
            continue
        for sentence in replay.step(e):
            rollout.append(Entry(at(e.time), e.actor, e.action, sentence, e.seq))
        action = e.action.lower()
        if e.subject != ref and not _names(e.payload, name, version):
            continue
        if any(word in action for word in _APPROVAL):
            decision = "Rejected" if "reject" in action else "Approved"
            approvals.append(Entry(at(e.time), e.actor, e.action, f"{decision}: {_said(e)}", e.seq))
        elif action.startswith(_ROLLOUT):
            rollout.append(Entry(at(e.time), e.actor, e.action, _said(e), e.seq))
    return History(rollout, approvals)
