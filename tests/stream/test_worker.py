"""A worker against a real redis-server: answers, dead letters, claims, groups, backpressure.

Workers run in threads of the test process here; ``test_process.py`` runs
them as ``driftline stream run`` processes, stops them with SIGTERM and kills
them with SIGKILL.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.redis


def credit_rows(n: int, seed: int = 0) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    return [dict(zip("abc", map(float, row), strict=True)) for row in rng.normal(size=(n, 3))]


def by_input(results: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """Results by the id of the message they answer; fails on a second result for one."""
    counts = Counter(r["input_id"] for r in results)
    twice = [i for i, n in counts.items() if n > 1]
    assert not twice, f"inputs answered more than once: {twice[:5]}"
    return {r["input_id"]: r for r in results}


def test_each_message_is_answered_once_with_its_prediction_and_version(
    streams: Any, start_worker: Any, trained: Any
) -> None:
    rows = credit_rows(40)
    ids = streams.send(rows)
    stats = start_worker(drain=True, batch=16).join()
    results = by_input(streams.results())
    assert set(results) == set(ids)
    frame = pd.DataFrame(rows)
    expected = trained.credit.predict(frame)
    proba = trained.credit.predict_proba(frame)
    for i, mid in enumerate(ids):
        r = results[mid]
        assert r["model"] == "credit" and r["version"] == "1"
        assert r["request_id"] == f"{streams.source}/{mid}"
        assert json.loads(r["prediction"]) == int(expected[i])
        probs = json.loads(r["probabilities"])
        assert list(probs) == ["0", "1"]
        np.testing.assert_allclose([probs["0"], probs["1"]], proba[i], atol=1e-5)
    assert streams.pending("driftline:credit") == 0
    assert (stats.read, stats.answered, stats.dead, stats.skipped) == (40, 40, 0, 0)
    assert stats.stopped == "nothing left to read"


def test_what_waits_is_scored_in_one_model_call_per_batch(
    streams: Any, start_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from driftline.registry import ModelRuntime

    sizes: list[int] = []
    predict = ModelRuntime.predict

    def counted(self: ModelRuntime, payload: Any) -> Any:
        sizes.append(len(payload))
        return predict(self, payload)

    streams.send(credit_rows(70))
    monkeypatch.setattr(ModelRuntime, "predict", counted)
    stats = start_worker(drain=True, batch=32).join()
    assert sizes == [1, 32, 32, 6]  # the warm-up as the model loads, then one call a batch
    assert stats.batches == 3 and len(streams.results()) == 70


POISON = [
    ({"data": "{not json"}, "is not valid JSON"),
    ({"payload": json.dumps({"a": 1, "b": 2, "c": 3})}, "has no `data` field (its fields are"),
    ({"data": "[1, 2, 3]"}, "holds a JSON array, not an object"),
    ({"data": json.dumps({"a": 1.0, "b": 2.0})}, "lacks 1 of the model's 3 inputs (`c`)"),
    ({"data": json.dumps({"a": 1, "b": 2, "c": 3, "d": 4})}, "has 1 input the model does not"),
    ({"data": json.dumps({"a": "forty", "b": 2, "c": 3})}, "column 'a' must be a number, got"),
    ({"data": json.dumps({"a": 1, "b": None, "c": 3})}, "column 'b' must not be missing"),
    ({"data": b"\xff\xfe"}, "is not valid JSON"),
]


def test_poisoned_messages_go_to_the_dead_letter_stream_and_the_rest_flow(
    streams: Any, start_worker: Any
) -> None:
    good = credit_rows(30, seed=1)
    messages = [{"data": json.dumps(r)} for r in good]
    for k, (fields, _) in enumerate(POISON):  # spread among the good ones
        messages.insert(3 + 4 * k, fields)
    ids = streams.send_fields(messages)
    stats = start_worker(drain=True, batch=8).join()
    poisoned = {ids[3 + 4 * k]: why for k, (_, why) in enumerate(POISON)}
    results = by_input(streams.results())
    assert set(results) == set(ids) - set(poisoned)
    letters = {letter["input_id"]: letter for letter in streams.letters()}
    assert set(letters) == set(poisoned)
    for mid, why in poisoned.items():
        letter = letters[mid]
        assert why in letter["reason"], (why, letter["reason"])
        assert mid in letter["reason"] and letter["source"] == streams.source
        assert letter["reason"].count(";") <= 1 and "\n" not in letter["reason"]
    assert json.loads(letters[ids[3]]["fields"]) == {"data": "{not json"}
    assert (stats.answered, stats.dead) == (30, len(POISON))
    assert streams.pending("driftline:credit") == 0


def test_text_and_categories_take_the_frame_path(
    streams: Any, start_worker: Any, trained: Any
) -> None:
    rows = [{"colour": c, "size": s} for c, s in [("red", 2), ("blue", 8), ("green", 1)]]
    ids = streams.send([*rows, {"colour": "red", "size": "big"}, {"colour": 7, "size": 3}])
    start_worker("shop@champion", drain=True).join()
    results = by_input(streams.results())
    expected = trained.shop.predict(pd.DataFrame(rows))
    assert [json.loads(results[i]["prediction"]) for i in ids[:3]] == list(expected)
    assert set(json.loads(results[ids[0]]["probabilities"])) == {"no", "yes"}
    letters = {letter["input_id"]: letter["reason"] for letter in streams.letters()}
    assert letters == {
        ids[3]: f"column 'size' must be a number, got 'big' in message {ids[3]}",
        ids[4]: f"column 'colour' must be text, got 7 in message {ids[4]}",
    }


def test_two_workers_in_one_group_split_the_load(
    streams: Any, start_worker: Any, wait: Any
) -> None:
    first = start_worker(consumer="one", batch=8)
    second = start_worker(consumer="two", batch=8)
    ids: list[str] = []
    for part in range(20):  # in waves, as traffic comes
        ids += streams.send(credit_rows(20, seed=part))
    wait(lambda: len(streams.results()) >= len(ids), timeout=60, what="400 results")
    one, two = first.finish(), second.finish()
    assert set(by_input(streams.results())) == set(ids)
    assert one.answered + two.answered == 400 and one.skipped == two.skipped == 0
    assert min(one.answered, two.answered) >= 40, (one.answered, two.answered)


def test_messages_left_on_a_dead_consumer_are_claimed_after_claim_idle(
    streams: Any, start_worker: Any
) -> None:
    ids = streams.send(credit_rows(12))
    streams.client.xgroup_create(streams.source, "driftline:credit", id="0")
    # A consumer that read ten messages and died before answering them.
    streams.client.xreadgroup("driftline:credit", "dead", {streams.source: ">"}, count=10)
    stats = start_worker(drain=True, claim_idle=0.05, consumer="alive").join()
    assert set(by_input(streams.results())) == set(ids)
    assert stats.claimed == 10 and streams.pending("driftline:credit") == 0


def test_a_restarted_consumer_answers_its_own_backlog_without_waiting_to_claim(
    streams: Any, start_worker: Any
) -> None:
    ids = streams.send(credit_rows(12))
    streams.client.xgroup_create(streams.source, "driftline:credit", id="0")
    streams.client.xreadgroup("driftline:credit", "pod-1", {streams.source: ">"}, count=10)
    stats = start_worker(drain=True, consumer="pod-1", claim_idle=3600).join()
    assert set(by_input(streams.results())) == set(ids) and stats.claimed == 0


def test_a_slow_worker_writes_nothing_for_messages_another_answered_first(
    streams: Any, ws: Any, wait: Any
) -> None:
    """The race the write step settles: both score a message, only the first answer counts."""
    from driftline.registry import ModelRuntime
    from driftline.stream import StreamAddress, StreamOptions, StreamWorker

    ids = streams.send(credit_rows(5))
    source = StreamAddress.parse(streams.url(streams.source))
    runtime = ModelRuntime.load(ws.context, "credit@champion")

    def worker(name: str) -> Any:
        options = StreamOptions(consumer=name, dead_letter=streams.dead, claim_idle=0.001)
        return StreamWorker(runtime, source, source.beside(streams.sink, option="x"), options)

    slow, quick = worker("slow"), worker("quick")
    slow.consumer.prepare()
    in_hand = slow.consumer.read(10, None)  # the slow one reads, then stalls
    quick.consumer.prepare()
    claimed = wait(lambda: quick.consumer.claim(0.001, 10)[0], timeout=10, what="a claim")
    assert [e[0] for e in claimed] == [e[0] for e in in_hand]
    quick._answer(claimed, then_read=None)
    slow._answer(in_hand, then_read=None)  # wakes up and writes what it computed
    assert set(by_input(streams.results())) == set(ids)
    assert (quick.stats.answered, slow.stats.answered, slow.stats.skipped) == (5, 0, 5)
    for w in (slow, quick):
        w.client.close()


def test_a_message_deleted_before_it_was_scored_is_reported_not_lost_track_of(
    streams: Any, start_worker: Any
) -> None:
    ids = streams.send(credit_rows(4))
    streams.client.xgroup_create(streams.source, "driftline:credit", id="0")
    streams.client.xreadgroup("driftline:credit", "gone", {streams.source: ">"}, count=2)
    streams.client.xreadgroup("driftline:credit", "back", {streams.source: ">"}, count=2)
    streams.client.xdel(streams.source, ids[0], ids[2])  # one pending on each consumer
    start_worker(drain=True, consumer="back", claim_idle=0.05).join()
    assert set(by_input(streams.results())) == {ids[1], ids[3]}
    letters = {letter["input_id"]: letter["reason"] for letter in streams.letters()}
    assert set(letters) == {ids[0], ids[2]}
    assert all("was deleted from the stream" in reason for reason in letters.values())
    assert streams.pending("driftline:credit") == 0


def test_a_full_sink_pauses_reading_and_says_so(
    streams: Any, start_worker: Any, wait: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="driftline.stream")
    ids = streams.send(credit_rows(100))
    run = start_worker(batch=5, max_sink=20)
    wait(lambda: run.worker.stats.pauses, timeout=30, what="the worker to pause")
    # Paused: the sink reached the limit, with less than one batch more.
    assert 20 <= streams.client.xlen(streams.sink) < 25
    assert streams.client.xlen(streams.sink) == len(streams.results())
    paused = [r.getMessage() for r in caplog.records if r.getMessage().startswith("paused")]
    assert paused and f"the sink `{streams.sink}` holds 2" in paused[0]
    assert "at or over the limit of 20 (--max-sink)" in paused[0]
    # A reader that deletes what it read lets the worker go on, a pause at a time.
    seen: list[str] = []

    def take() -> bool:
        entries = streams.client.xrange(streams.sink, "-", "+")
        if entries:
            seen.extend(f[b"input_id"].decode() for _, f in entries)
            streams.client.xdel(streams.sink, *[mid for mid, _ in entries])
        return len(seen) >= 100

    wait(take, timeout=60, what="every result through the full sink")
    assert sorted(seen) == sorted(ids)
    stats = run.finish()
    assert stats.pauses >= 2 and stats.answered == 100
    assert any(r.getMessage().startswith("resumed reading after") for r in caplog.records)


def test_predictions_go_to_the_inference_log_and_monitoring_sees_them(
    streams: Any, start_worker: Any, ws: Any
) -> None:
    from driftline import monitor
    from driftline.store import InferenceLog

    rows = credit_rows(30, seed=3)
    ids = streams.send([*rows[:10], {"a": "x", "b": 1, "c": 2}, *rows[10:]])
    log = InferenceLog.open(ws.settings)
    start_worker(drain=True, batch=8, log=log).join()
    log.close()
    records = [r for r in InferenceLog.open(ws.settings).records() if r["kind"] == "prediction"]
    assert sorted(r["request_id"] for r in records) == sorted(
        f"{streams.source}/{i}" for i in ids if i != ids[10]
    )
    results = by_input(streams.results())
    for r in records:
        mid = r["request_id"].split("/", 1)[1]
        assert r["route"] == "stream" and r["model"] == "credit" and r["version"] == 1
        assert r["prediction"] == json.loads(results[mid]["prediction"])
    assert {tuple(r["inputs"].values()) for r in records} == {tuple(r.values()) for r in rows}
    run = monitor.run(ws.context, "credit@champion", window="1d")
    assert sum(w.rows for w in run.windows) == 30


def test_a_dropped_connection_is_reopened_and_nothing_is_answered_twice(
    streams: Any, start_worker: Any, wait: Any
) -> None:
    run = start_worker(batch=4, consumer="steady")
    first = streams.send(credit_rows(10))
    wait(lambda: len(streams.results()) == 10, timeout=30, what="the first 10 results")
    # Drop this test's connections only: another test process may share the server.
    ours = streams.client.connection_pool.connection_kwargs.get("db", 0)
    me = streams.client.client_id()
    for client in streams.client.client_list(_type="normal"):
        if int(client["db"]) == ours and int(client["id"]) != me:
            streams.client.client_kill_filter(_id=client["id"])
    second = streams.send(credit_rows(10, seed=9))
    wait(lambda: len(streams.results()) == 20, timeout=30, what="20 results after the drop")
    assert set(by_input(streams.results())) == set(first + second)
    # A write whose reply the drop took is answered all the same, and not counted here.
    assert 10 <= run.finish().answered <= 20


def test_a_client_speaking_resp3_reads_and_claims_the_same(streams: Any, ws: Any) -> None:
    from driftline.registry import ModelRuntime
    from driftline.stream import StreamAddress, StreamOptions, StreamWorker

    ids = streams.send(credit_rows(30))
    streams.client.xgroup_create(streams.source, "driftline:credit", id="0")
    streams.client.xreadgroup("driftline:credit", "gone", {streams.source: ">"}, count=5)
    source = StreamAddress.parse(f"{streams.url(streams.source)}?protocol=3")
    assert source.server == f"{streams.server}?protocol=3"
    options = StreamOptions(dead_letter=streams.dead, drain=True, batch=8, claim_idle=0.01)
    worker = StreamWorker(
        ModelRuntime.load(ws.context, "credit@champion"),
        source,
        source.beside(streams.sink, option="--sink"),
        options,
    )
    try:
        stats = worker.run()
    finally:
        worker.client.close()
    assert set(by_input(streams.results())) == set(ids) and stats.claimed == 5
