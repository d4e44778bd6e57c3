"""Rate limits in a real server: one budget across its workers, and only for callers it knows."""

from __future__ import annotations

import threading

import httpx
import pytest

from driftline import auth
from driftline.guard import GuardPolicy
from driftline.serving import deploy

PREDICT = "/v1/models/forest/predict"
ROW = {"a": 0.1, "b": -0.2, "c": 0.3}


def _send_together(
    url: str, secret: str, *, clients: int, each: int
) -> tuple[list[httpx.Response], list[httpx.Response]]:
    """``clients`` threads each send ``each`` one-row requests; the answered and the refused."""
    answered: list[httpx.Response] = []
    refused: list[httpx.Response] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(each):  # a fresh connection each time: the kernel spreads them
            r = httpx.post(
                url + PREDICT,
                json={"records": [ROW]},
                headers={"Authorization": f"Bearer {secret}"},
                timeout=30,
            )
            with lock:
                (answered if r.status_code == 200 else refused).append(r)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answered, refused


@pytest.mark.slow
def test_two_workers_hold_a_token_to_one_budget_with_429_and_retry_after(  # type: ignore[no-untyped-def]
    serve_process, ws
) -> None:
    # 10 inputs, then one per 100 s: within a round, the burst is all a token may get.
    deploy(ws.context, "forest", guard=GuardPolicy(token_rate=0.01, burst=10))
    server = serve_process(ws.home, "--auth", "--workers", "2")
    rounds = []
    for attempt in range(6):
        _, secret = auth.create(ws.context, role="predictor", name=f"round{attempt}")
        answered, refused = _send_together(server.url, secret, clients=4, each=10)
        assert len(answered) == 10, f"round {attempt}: {len(answered)} of 40 answered"
        assert len(refused) == 30 and {r.status_code for r in refused} == {429}
        assert all(90 <= int(r.headers["retry-after"]) <= 100 for r in refused)
        assert f"too many inputs from token 'round{attempt}'" in refused[0].json()["error"]
        # Request ids begin with their worker's own prefix: who answered this round.
        workers = {r.json()["request_ids"][0][:16] for r in answered}
        rounds.append(len(workers))
        if len(workers) == 2:
            break
    assert rounds[-1] == 2, f"no round had both workers answer ({rounds}); the claim is untested"


def test_a_caller_without_a_valid_token_gets_401_and_spends_no_budget(serve, ws) -> None:  # type: ignore[no-untyped-def]
    # The token's budget and the address's are both 3: a request that spent either would
    # leave the valid token's third request refused.
    deploy(ws.context, "forest", guard=GuardPolicy(token_rate=0.01, address_rate=0.01, burst=3))
    server = serve(ws, auth=True)
    _, secret = auth.create(ws.context, role="predictor", name="checkout")
    _, viewer = auth.create(ws.context, role="viewer", name="dashboard")
    with httpx.Client(base_url=server.url, timeout=30) as http:

        def call(header: str | None) -> httpx.Response:
            headers = {"Authorization": header} if header is not None else {}
            return http.post(PREDICT, json={"records": [ROW]}, headers=headers)

        valid = f"Bearer {secret}"
        assert [call(valid).status_code for _ in range(2)] == [200, 200]
        strangers = [None, "Bearer not-a-token", f"Bearer {secret}x", "Basic abc"] * 5
        assert [call(h).status_code for h in strangers] == [401] * len(strangers)
        assert call(f"Bearer {viewer}").status_code == 403  # known, but may not predict
        assert call(valid).status_code == 200  # the third of three: nothing else spent it
        spent = call(valid)
        assert spent.status_code == 429 and "token 'checkout'" in spent.json()["error"]
        # Over its budget or not, a caller the server does not know hears 401 first.
        r = call("Bearer not-a-token")
        assert r.status_code == 401 and "retry-after" not in r.headers
        assert r.headers["www-authenticate"] == "Bearer"
