"""Columns a model's signature marks personal: written as marked, unless [privacy] says otherwise."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from driftline import Workspace
from driftline.errors import InputError
from driftline.privacy import PrivacyPolicy, Redactor
from driftline.schema import Signature
from driftline.settings import Settings
from driftline.store import InferenceLog

from .test_workspace_scan import contents, forms, train

# Names no detector finds: only the mark keeps them out of the log.
CUSTOMERS = [f"customer-{name}-{i:03d}" for i, name in enumerate(["ada", "grace", "alan"] * 4)]


def test_a_mark_is_kept_in_the_signature_and_the_policy_table_still_decides() -> None:
    _, data = train()
    signature = Signature.infer(data, target="y").mark_personal({"customer_id": "hash"})
    assert signature.personal == {"customer_id": "hash"}
    assert signature["customer_id"].categories is None  # no training value kept
    assert Signature.from_dict(signature.to_dict()) == signature
    assert "personal" not in Signature.infer(data).to_dict()["columns"][0]  # unmarked: as before
    with pytest.raises(InputError, match="cannot mark 'email' personal: not an input"):
        signature.mark_personal({"email": "hash"})
    with pytest.raises(InputError, match="one of hash, redact, drop, got 'keep' for 'note'"):
        signature.mark_personal({"note": "keep"})

    table = PrivacyPolicy.from_table({"columns": {"note": "keep"}})
    marked = table.with_personal({"note": "drop", "customer_id": "hash"})
    assert (marked.action("note"), marked.action("customer_id")) == ("keep", "hash")
    redactor = Redactor(table, secret=lambda: b"k" * 32)
    redactor.mark_personal({"customer_id": "hash"})
    redactor.mark_personal({"customer_id": "drop"})  # another model's stricter mark holds
    redactor.mark_personal({"customer_id": "redact", "note": "drop"})
    assert redactor.row({"customer_id": "x", "note": "hi", "amount": 1.0}) == {
        "note": "hi",
        "amount": 1.0,
    }


def test_a_column_marked_personal_never_reaches_the_log_in_clear(
    tmp_path: Path,
    serve,  # type: ignore[no-untyped-def]
) -> None:
    from driftline import monitor
    from driftline.serving import deploy

    home = tmp_path / "ws"
    home.mkdir()
    # No [privacy] entry for customer_id: the signature's mark is all that covers it. The
    # table names note, and its word wins over the signature's.
    (home / "driftline.toml").write_text('[privacy.columns]\nnote = "redact"\n')
    model, data = train()
    trained_ids = [f"customer-train-{i % 40:03d}" for i in range(len(data))]
    data = data.assign(customer_id=trained_ids)
    with Workspace.init(
        home,
        actor="tester",
        database_url=f"sqlite:///{home / 'driftline.db'}",
        artifacts_url=str(home / "artifacts"),
    ) as ws:
        ws.register(
            "loan", model, train=data, target="y", personal={"customer_id": "hash", "note": "drop"}
        )
        ws.set_alias("loan", 1, "champion")
        assert ws.get("loan:1").signature.personal == {"customer_id": "hash", "note": "drop"}
        deploy(ws.context, "loan")
        server = serve(ws)
        rows = [
            {"amount": 90.0 + i, "account": 1234.0, "city": "Lyon", "note": "all good",
             "customer_id": c}
            for i, c in enumerate(CUSTOMERS)
        ]  # fmt: skip
        with httpx.Client(base_url=server.url, timeout=30) as http:
            r = http.post("/v1/models/loan/predict", json={"records": rows[:6]})
            assert r.status_code == 200, r.text
            r = http.post("/invocations?model=loan", json={"dataframe_records": rows[6:]})
            assert r.status_code == 200, r.text
        server.state.log.rotate()
        logged = InferenceLog.open(ws.settings).read("loan").to_pylist()
        assert len(logged) == len(CUSTOMERS)
        redactor = Redactor.from_settings(Settings.load(home))
        # Hashed with the workspace secret: the same customer still joins, nobody reads it.
        assert sorted(r["customer_id"] for r in logged) == sorted(
            redactor.hash(c) for c in CUSTOMERS
        )
        assert {r["note"] for r in logged} == {"[REDACTED]"}  # the table's word, not "drop"
        # Monitoring leaves the marked columns out: nothing of them to compare with.
        windows = monitor.run(ws.context, "loan@champion").windows
        assert windows and {w.columns for w in windows} == {3}
    # Not in the log, nor the signature, reference profile or card of the registration.
    files = [p for p in sorted(home.rglob("*")) if p.is_file()]
    assert "driftline.db" in {p.name for p in files}
    assert any(p.suffix == ".seg" for p in files)  # the log segments the server wrote
    needles = [n for c in CUSTOMERS + sorted(set(trained_ids)) for n in forms(c)]
    found = {
        str(p.relative_to(home)) for p in files for b in contents(p) for n in needles if n in b
    }
    assert found == set()


def test_the_command_line_marks_columns_at_registration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import skops.io as sio

    from driftline.cli import main

    model, data = train()
    data.to_csv(tmp_path / "train.csv", index=False)
    sio.dump(model, tmp_path / "m.skops")
    home = str(tmp_path / "ws")
    register = ["--home", home, "models", "register", "loan", "--artifact", str(tmp_path / "m.skops"),
                "--train", str(tmp_path / "train.csv"), "--target", "y"]  # fmt: skip
    assert main(["--home", home, "init"]) == 0
    assert main([*register, "--personal", "customer_id=hash", "--personal", "note=drop"]) == 0
    with Workspace.open(home, create=False) as ws:
        assert ws.get("loan:1").signature.personal == {"customer_id": "hash", "note": "drop"}
    capsys.readouterr()
    for wrong, said in (
        ("customer_id", "--personal takes COLUMN=hash, COLUMN=redact or COLUMN=drop"),
        ("note=keep", "a personal column is written as one of hash, redact, drop, got 'keep'"),
        ("email=hash", "cannot mark 'email' personal: not an input of the model"),
    ):
        assert main([*register, "--personal", wrong]) == 2
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1, err
    with Workspace.open(home, create=False) as ws:
        assert ws.get("loan").version == 1  # nothing registered by the refusals
