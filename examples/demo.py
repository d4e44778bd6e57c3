"""The main job on the embedded default: register, judge, serve, watch, alert, audit.

Run with `make demo`. It starts from a fresh workspace in ./demo-workspace each
time, so every run tells the same story: a model is trained, registered and
evaluated; a weaker challenger is stopped by the release gate; the champion is
served over HTTP, receives ordinary traffic and then traffic from a
miscalibrated instrument, and monitoring notices and raises an alert.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console
from rich.text import Text
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

import driftline
from driftline import monitor, serving

HOME = Path("demo-workspace")
WINDOW_SECONDS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def send(client: httpx.Client, rows: list[dict[str, float]]) -> list[int]:
    answers = []
    for row in rows:
        response = client.post("/v1/models/tumor/predict", json={"records": [row]})
        response.raise_for_status()
        answers.append(response.json()["predictions"][0])
    return answers


def main() -> None:
    out = Console()
    shutil.rmtree(HOME, ignore_errors=True)
    ws = driftline.Workspace.init(HOME)
    out.rule("1. register")
    data = load_breast_cancer(as_frame=True).frame
    train, test = train_test_split(data, test_size=0.5, random_state=0, stratify=data["target"])
    features = train.drop(columns="target")
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(features, train["target"])
    proba = model.predict_proba(test.drop(columns="target"))[:, 1]
    metrics = {
        "accuracy": accuracy_score(test["target"], proba > 0.5),
        "roc_auc": roc_auc_score(test["target"], proba),
    }
    mv = ws.register(
        "tumor",
        model,
        train=train,
        target="target",
        description="Flags tumors as benign (1) or malignant (0) from cell measurements.",
        metrics=metrics,
        intended_use="A teaching example of driftline; not for medical use.",
    )
    ws.set_alias("tumor", mv.version, "champion")
    engine = "ONNX Runtime" if "onnx" in mv.runtimes else "scikit-learn"
    out.print(
        f"registered [bold]{mv.ref}[/] as tumor@champion: a 100-tree forest on {len(train)} rows of "
        f"scikit-learn's breast-cancer data, accuracy {metrics['accuracy']:.3f} on {len(test)} "
        f"held-out rows; served by {engine}"
    )

    out.rule("2. judge")
    report = ws.evaluate("tumor@champion", test, target="target", n_resamples=300)
    for sentence in report.sentences()[:3]:
        out.print(sentence)
    # A challenger: simpler, faster to train, and worse. The gate must say so.
    simple = GaussianNB().fit(features, train["target"])
    challenger = ws.register("tumor", simple, train=train, target="target")
    ws.set_alias("tumor", challenger.version, "challenger")
    decision = ws.gate("tumor", data=test, target="target")
    out.print(Text(decision.headline, style="bold"))
    for criterion in decision.failed:
        out.print(Text(f"  {criterion.sentence}"))

    out.rule("3. serve")
    serving.deploy(ws.context, "tumor", alias="champion")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            serving.create_app(ws.context), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if client.get("/v2/health/ready").status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    out.print(f"serving on http://127.0.0.1:{port} (Open Inference Protocol V2, MLflow, /v1)")

    rows = test.drop(columns="target").to_dict(orient="records")
    # Monitoring windows are aligned to the clock: start the ordinary traffic at a window's start.
    time.sleep(WINDOW_SECONDS - time.time() % WINDOW_SECONDS)
    answers = send(client, rows[:200])
    agree = sum(a == b for a, b in zip(answers, (proba[:200] > 0.5).astype(int), strict=True))
    out.print(f"200 ordinary requests answered; {agree} of 200 match the model called in-process")
    # The next window: the instrument measuring cell size drifts 30% high.
    time.sleep(WINDOW_SECONDS - time.time() % WINDOW_SECONDS)
    broken = [
        {k: v * 1.3 if "radius" in k or "area" in k else v for k, v in r.items()}
        for r in rows[:200]
    ]
    send(client, broken)
    out.print("200 more requests, from an instrument that now reads cell sizes 30% too high")
    server.should_exit = True
    thread.join()

    out.rule("4. watch")
    # The held-out rows, labelled, let monitoring estimate accuracy before any label arrives.
    run = monitor.run(
        ws.context, "tumor@champion", window=f"{WINDOW_SECONDS}s", reference=test, target="target"
    )
    out.print(Text(run.headline, style="bold"))
    if run.performance_sentence:
        out.print(run.performance_sentence)
    for w in run.windows:
        out.print(Text(f"  {w.sentence}"))
    for alert in run.opened:
        out.print(Text.assemble(("ALERT", "bold red"), f" ({alert.severity}): {alert.message}"))

    out.rule("5. audit")
    for event in ws.audit_events():
        out.print(f"#{event.seq} {event.actor} {event.action} {event.subject}")
    out.print(ws.verify_audit().sentence)
    out.rule()
    out.print(f"look around: .venv/bin/driftline --home {HOME} models show tumor@champion --card")
    out.print(f"             .venv/bin/driftline --home {HOME} alerts list --status open")
    out.print(f"             .venv/bin/driftline --home {HOME} evaluations list tumor")
    ws.close()


if __name__ == "__main__":
    main()
