"""The main job on the embedded default: train, register, promote, inspect, audit.

Run with `make demo`. It starts from a fresh workspace in ./demo-workspace each
time, so every run tells the same story.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Console
from rich.markdown import Markdown
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

import driftline

HOME = Path("demo-workspace")


def main() -> None:
    out = Console()
    shutil.rmtree(HOME, ignore_errors=True)
    ws = driftline.Workspace.init(HOME)
    out.rule("driftline demo")
    out.print(f"workspace: {ws.home} (SQLite metadata, local artifacts)")

    data = load_breast_cancer(as_frame=True).frame
    train, test = train_test_split(data, test_size=0.3, random_state=0, stratify=data["target"])
    features = train.drop(columns="target")
    model = HistGradientBoostingClassifier(random_state=0).fit(features, train["target"])
    proba = model.predict_proba(test.drop(columns="target"))[:, 1]
    metrics = {
        "accuracy": accuracy_score(test["target"], proba > 0.5),
        "roc_auc": roc_auc_score(test["target"], proba),
    }
    out.print(
        f"trained a gradient-boosted classifier on {len(train)} rows of scikit-learn's "
        f"breast-cancer data: accuracy {metrics['accuracy']:.3f}, ROC AUC {metrics['roc_auc']:.3f} "
        f"on {len(test)} held-out rows"
    )

    mv = ws.register(
        "tumor",
        model,
        train=train,
        target="target",
        description="Flags tumors as benign (1) or malignant (0) from cell measurements.",
        metrics=metrics,
        intended_use="A teaching example of driftline's registry; not for medical use.",
    )
    out.print(
        f"registered [bold]{mv.ref}[/]: {mv.flavor} artifact, sha256 {mv.sha256[:16]}…, "
        f"signature of {len(mv.signature.names) if mv.signature else 0} columns"
    )
    ws.set_alias("tumor", mv.version, "champion")
    out.print("pointed alias [bold]tumor@champion[/] at version 1")

    loaded = ws.load_model("tumor@champion")
    agree = (loaded.predict_proba(test.drop(columns="target"))[:, 1] == proba).all()
    out.print(f"loaded tumor@champion back (sha256 verified): predictions identical: {agree}")

    profile = ws.load_profile("tumor@champion")
    out.print(f"reference profile: {profile.n_rows} rows, {len(profile.columns)} columns")

    out.rule("model card")
    out.print(Markdown(mv.card_markdown()))

    out.rule("audit chain")
    for event in ws.audit_events():
        out.print(f"#{event.seq} {event.time[:19]} {event.actor} {event.action} {event.subject}")
    result = ws.verify_audit()
    out.print(
        f"chain verified: {result.ok}, {result.checked} events, head {result.head_hash[:16]}…"
    )
    out.rule()
    out.print(f"try: .venv/bin/driftline --home {HOME} models show tumor@champion")
    ws.close()


if __name__ == "__main__":
    main()
