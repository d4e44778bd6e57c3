"""The chain exported as JSON lines verifies offline exactly as it does in the database."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from driftline import Workspace, audit

Lines = list[str]
Sql = Callable[..., None]
Cli = Callable[..., subprocess.CompletedProcess[str]]


def export_lines(ws: Workspace, path: Path) -> Lines:
    done = ws.export_audit(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert done.count == len(lines)
    return lines


def write(path: Path, lines: Lines) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def edit(lines: Lines, index: int, **changes: object) -> Lines:
    doc = json.loads(lines[index])
    doc.update(changes)
    return [*lines[:index], json.dumps(doc), *lines[index + 1 :]]


def test_an_export_holds_every_event_with_its_hashes_and_verifies(
    chained: Workspace, tmp_path: Path
) -> None:
    lines = export_lines(chained, tmp_path / "audit.jsonl")
    docs = [json.loads(line) for line in lines]
    stored = chained.audit_events()
    assert [d["seq"] for d in docs] == [e.seq for e in stored] == [1, 2, 3, 4, 5, 6]
    assert [(d["hash"], d["prev_hash"], d["payload"]) for d in docs] == [
        (e.hash, e.prev_hash, e.payload) for e in stored
    ]
    assert all("payload_text" not in d for d in docs)  # canonical payloads: the JSON suffices
    result = audit.verify_file(tmp_path / "audit.jsonl", expect_head=stored[-1].hash)
    online = chained.verify_audit()
    assert result.ok and result.checked == online.checked == 6
    assert result.head_hash == online.head_hash
    assert result.source == "file" and result.expected_at == 6


# Each tampering done twice: to the database, and to the export of the intact chain.
TAMPERINGS: dict[
    str, tuple[tuple[tuple[str, dict[str, object]], ...], Callable[[Lines], Lines]]
] = {
    "payload edited": (
        (("UPDATE audit_events SET payload = :p WHERE seq = 3", {"p": '{"i":300}'}),),
        lambda lines: edit(lines, 2, payload={"i": 300}),
    ),
    "actor edited": (
        (("UPDATE audit_events SET actor = 'mallory' WHERE seq = 5", {}),),
        lambda lines: edit(lines, 4, actor="mallory"),
    ),
    "event deleted": (
        (("DELETE FROM audit_events WHERE seq = 4", {}),),
        lambda lines: lines[:3] + lines[4:],
    ),
    "events reordered": (
        (
            ("UPDATE audit_events SET seq = -1 WHERE seq = 2", {}),
            ("UPDATE audit_events SET seq = 2 WHERE seq = 3", {}),
            ("UPDATE audit_events SET seq = 3 WHERE seq = -1", {}),
        ),
        lambda lines: [lines[0], edit(lines, 2, seq=2)[2], edit(lines, 1, seq=3)[1], *lines[3:]],
    ),
    "payload rewritten, same meaning": (
        # Not the canonical text: the hash covers the text, so this is an edit too.
        (("UPDATE audit_events SET payload = :p WHERE seq = 2", {"p": '{"i": 2}'}),),
        lambda lines: edit(lines, 1, payload_text='{"i": 2}'),
    ),
}


@pytest.mark.parametrize("case", sorted(TAMPERINGS))
def test_offline_names_the_first_bad_event_as_online_does(
    chained: Workspace, tmp_path: Path, case: str, sql: Sql
) -> None:
    statements, change = TAMPERINGS[case]
    intact = export_lines(chained, tmp_path / "intact.jsonl")
    offline = audit.verify_file(write(tmp_path / "tampered.jsonl", change(intact)))
    for statement, params in statements:
        sql(chained, statement, **params)
    online = chained.verify_audit()
    assert not online.ok and not offline.ok
    assert (offline.bad_seq, offline.problem) == (online.bad_seq, online.problem)
    assert offline.bad_line == offline.bad_seq  # one event a line, in order
    assert f"at line {offline.bad_line} (event {offline.bad_seq})" in offline.sentence
    # The database's tampering exports as it is stored, and verifies as it does online.
    again = audit.verify_file(chained.export_audit(tmp_path / "again.jsonl").path)
    assert (again.bad_seq, again.problem) == (online.bad_seq, online.problem)


def test_a_cut_tail_is_caught_only_with_the_expected_head(
    chained: Workspace, tmp_path: Path
) -> None:
    lines = export_lines(chained, tmp_path / "audit.jsonl")
    head = json.loads(lines[-1])["hash"]
    cut = write(tmp_path / "cut.jsonl", lines[:4])
    assert audit.verify_file(cut).ok  # nothing in the file itself can tell
    result = audit.verify_file(cut, expect_head=head)
    assert not result.ok and result.bad_seq is None
    assert result.sentence.startswith(
        f"The audit export cannot be trusted: the head you expected ({head[:16]}…) is not in it, "
        "which ends at event 4"
    )


def test_events_added_after_the_kept_head_still_verify(chained: Workspace, tmp_path: Path) -> None:
    kept = chained.audit_events()[-1].hash
    with chained.db.write() as s:
        audit.append(s, actor="bob", action="test.more", subject="x")
        audit.append(s, actor="bob", action="test.more", subject="y")
    result = audit.verify_file(chained.export_audit(tmp_path / "a.jsonl").path, expect_head=kept)
    assert result.ok and (result.checked, result.expected_at) == (8, 6)
    assert "It holds the head you expected, event 6; the 2 events after it were added since." in (
        result.sentence
    )
    assert chained.verify_audit(expect_head=kept).ok
    assert not chained.verify_audit(expect_head="ab" * 32).ok


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("not json at all", "it is not JSON"),
        ("[1, 2]", "it is not a JSON object"),
        ('{"seq": 3}', "it has no time, actor, action, subject, prev_hash, hash, payload"),
    ],
)
def test_a_line_that_is_not_an_event_is_named(
    chained: Workspace, tmp_path: Path, line: str, why: str
) -> None:
    lines = export_lines(chained, tmp_path / "audit.jsonl")
    result = audit.verify_file(write(tmp_path / "bad.jsonl", [*lines[:2], line, *lines[3:]]))
    assert (result.bad_seq, result.bad_line, result.checked) == (3, 3, 2)
    assert result.problem == f"line 3 is not an audit event: {why}"


def test_an_empty_export_is_said_to_be_empty(workspace: Workspace, tmp_path: Path) -> None:
    done = workspace.export_audit(tmp_path / "empty.jsonl")
    assert (done.count, done.head_hash) == (0, audit.GENESIS)
    result = audit.verify_file(tmp_path / "empty.jsonl")
    assert result.ok and result.sentence == "The audit export is empty: it holds no events."


def test_a_missing_export_is_an_input_error(tmp_path: Path) -> None:
    from driftline.errors import InputError

    with pytest.raises(InputError, match="there is no audit export at"):
        audit.verify_file(tmp_path / "nowhere.jsonl")


def test_cli_exports_then_verifies_offline_without_any_database(
    chained: Workspace, tmp_path: Path, cli: Cli
) -> None:
    home = ["--home", str(chained.home)]
    db = {"DRIFTLINE_DATABASE_URL": chained.settings.database_url}
    chained.close()
    done = cli(*home, "audit", "export", "a.jsonl", "--json", cwd=tmp_path, env=db)
    assert done.returncode == 0, done.stderr
    head = json.loads(done.stdout)["head_hash"]
    assert json.loads(done.stdout)["count"] == 6
    # Offline: a workspace folder that does not exist, so no database can be reached.
    nowhere = ["--home", str(tmp_path / "no-workspace")]
    check = [*nowhere, "audit", "verify", "--file", "a.jsonl", "--expect-head", head]
    ok = cli(*check, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "The audit export is intact: all 6 events read as they were written" in ok.stdout
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    write(tmp_path / "a.jsonl", edit(lines, 3, subject="thing:40"))
    bad = cli(*check, cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr.startswith(
        "driftline: The audit export was tampered with at line 4 (event 4): event 4 (test.event "
        "thing:40) does not match its hash"
    )
    assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "no-workspace").exists()


def test_cli_exports_to_standard_output(chained: Workspace, tmp_path: Path, cli: Cli) -> None:
    db = {"DRIFTLINE_DATABASE_URL": chained.settings.database_url}
    chained.close()
    done = cli("--home", str(chained.home), "audit", "export", "-", cwd=tmp_path, env=db)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["seq"] for line in done.stdout.splitlines()] == [1, 2, 3, 4, 5, 6]
    assert done.stderr.startswith("Exported 6 events to -")
