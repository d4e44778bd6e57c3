"""The OpenAPI document tells clients the truth: schemathesis finds nothing, with every check.

Schemathesis runs as a user runs it (``st run URL/openapi.json --checks all``)
against a real server: every documented request it generates must be
accepted, every request that breaks the document refused, and every answer
(status code, content type, body) documented. A fixed seed keeps the cases
the same from run to run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from driftline.serving import undeploy

# Enough cases that every operation sees its positive, negative and boundary examples;
# few enough to stay within a test's time.
MAX_EXAMPLES = 30


def _schemathesis(url: str, cwd: Path, *options: str) -> None:
    st = Path(sys.executable).with_name("st")
    command = [str(st)] if st.exists() else [sys.executable, "-m", "schemathesis.cli"]
    result = subprocess.run(
        [
            *command,
            "run",
            f"{url}/openapi.json",
            "--checks",
            "all",
            "--seed",
            "7",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--generation-database",
            "none",
            "--request-timeout",
            "10",
            "--no-color",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,  # where it keeps its own files
    )
    # The report names each failure with a curl command that reproduces it.
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout, result.stdout[-2000:]


@pytest.mark.slow  # about 20 s
def test_schemathesis_finds_nothing_on_any_route(serve, ws, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = serve(ws)
    doc = httpx.get(f"{server.url}/openapi.json").json()
    # The prediction operations are each deployed model's, with its columns.
    assert {"/v1/models/forest/predict", "/v2/models/shop/infer"} <= set(doc["paths"])
    assert "/v2/models/{model}/infer" not in doc["paths"]
    record = doc["paths"]["/v1/models/shop/predict"]["post"]["requestBody"]["content"]
    assert set(
        record["application/json"]["schema"]["properties"]["records"]["items"]["required"]
    ) == {
        "colour",
        "size",
    }
    _schemathesis(server.url, tmp_path)


def test_schemathesis_finds_nothing_on_invocations_of_the_only_model(serve, ws, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # MLflow's /invocations takes one model's body; OpenAPI can describe it only when
    # the server has one model (with several, ?model= decides the body).
    undeploy(ws.context, "forest")
    server = serve(ws)
    assert "/invocations" in httpx.get(f"{server.url}/openapi.json").json()["paths"]
    _schemathesis(server.url, tmp_path, "--include-path", "/invocations")


def test_the_document_follows_the_deployments(serve, ws, until) -> None:  # type: ignore[no-untyped-def]
    from driftline.serving import deploy

    server = serve(ws, reload_interval_s=0.05)

    def paths() -> set[str]:
        return set(httpx.get(f"{server.url}/openapi.json").json()["paths"])

    assert "/v2/models/forest/versions/1/infer" in paths()
    ws.set_alias("forest", 2, "champion")
    until(
        lambda: "/v2/models/forest/versions/2/infer" in paths(),
        timeout=30,
        what="the document to describe forest version 2",
    )
    assert "/v2/models/forest/versions/1/infer" not in paths()
    undeploy(ws.context, "shop")
    until(lambda: "/v1/models/shop/predict" not in paths(), timeout=30, what="shop to go")
    deploy(ws.context, "shop")
    until(lambda: "/v1/models/shop/predict" in paths(), timeout=30, what="shop to come back")
