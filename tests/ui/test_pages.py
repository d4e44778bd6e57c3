"""The dashboard over real HTTP: sign-in, pages, what a viewer may not do, actions, the /v1 data."""

from __future__ import annotations

import re

import httpx
import pytest

from driftline import audit, auth, registry

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:httpx")


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def test_pages_need_a_signed_in_token(dashboard) -> None:
    with dashboard.client() as client:
        answer = client.get("/ui/models/shop")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/ui/signin?next=/ui/models/shop"
        wrong = client.post("/ui/signin", data={"token": "dl_nope_nope", "next": "/ui/"})
        assert wrong.status_code == 401
        assert "not known to this workspace" in wrong.text
        assert "driftline_session" not in wrong.headers.get("set-cookie", "")
        data = client.get("/v1/models/shop/history")
        assert data.status_code == 401 and "sign in" in data.json()["error"]


def test_session_cookie_is_httponly_and_strict(dashboard) -> None:
    with dashboard.client() as client:
        answer = client.post("/ui/signin", data={"token": dashboard.world.viewer, "next": "/ui/"})
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert dashboard.world.viewer.lower() not in cookie  # the secret is sealed, not shown


def test_overview_says_why_in_words_with_a_light(dashboard) -> None:
    with dashboard.signed_in(dashboard.world.viewer) as client:
        page = client.get("/ui/").text
    assert 'class="light red"' in page and "Needs action" in page  # colour and word
    assert "Inputs shifted" in page and "<code>income</code>" in page
    assert "estimated accuracy" in page
    assert "2 alerts are open" in page
    assert "predictions in the last 24 hours" in page and "ms" in page  # traffic, latency


def test_model_page_names_the_drifted_feature(dashboard) -> None:
    with dashboard.signed_in(dashboard.world.viewer) as client:
        page = client.get("/ui/models/shop").text
    sentence = re.search(r'<p class="why lead">(.+?)</p>', page).group(1)
    assert "income" in sentence and "shifted" in sentence
    assert "alias.set" in page  # the audit trail
    assert "reliability diagram" in page.lower()
    for src in re.findall(r'(?:src|href)="([^"#]+)"', page):
        assert src.startswith("/"), f"the page loads {src} from elsewhere"


def test_every_asset_is_served_by_driftline(dashboard) -> None:
    with dashboard.signed_in(dashboard.world.viewer) as client:
        page = client.get("/ui/models/shop").text
        assets = re.findall(r'(?:src|href)="(/ui/static/[^"]+)"', page)
        assert any(a.endswith("uPlot.iife.min.js") for a in assets)
        for asset in assets:
            assert client.get(asset).status_code == 200, asset
        assert "MIT" in client.get("/ui/static/uplot/LICENSE").text


def test_viewer_sees_no_buttons_and_is_refused(dashboard) -> None:
    ctx = dashboard.world.ws.context
    with dashboard.signed_in(dashboard.world.viewer) as client:
        page = client.get("/ui/models/shop").text
        assert "/act/" not in page
        csrf = _csrf(page)  # the sign-out form's: a real token of this session
        confirm = client.get("/ui/models/shop/act/rollback")
        assert confirm.status_code == 403 and "operator role" in confirm.text
        refused = client.post("/ui/models/shop/act/rollback", data={"csrf": csrf})
        assert refused.status_code == 403
        promote = client.post("/ui/models/shop/act/promote", data={"csrf": csrf, "version": "1"})
        assert promote.status_code == 403
    assert registry.get(ctx, "shop@champion").version == 2


def test_an_action_needs_its_csrf_token(dashboard) -> None:
    ctx = dashboard.world.ws.context
    with dashboard.signed_in(dashboard.world.operator) as client:
        missing = client.post("/ui/models/shop/act/rollback", data={})
        assert missing.status_code == 403 and "form token" in missing.text
        forged = client.post("/ui/models/shop/act/rollback", data={"csrf": "0" * 40})
        assert forged.status_code == 403
        page = client.get("/ui/models/shop").text
        other_site = client.post(
            "/ui/models/shop/act/rollback",
            data={"csrf": _csrf(page)},
            headers={"origin": "https://evil.example"},
        )
        assert other_site.status_code == 403
    assert registry.get(ctx, "shop@champion").version == 2


def test_operator_rolls_back_after_confirming(dashboard) -> None:
    ctx = dashboard.world.ws.context
    with dashboard.signed_in(dashboard.world.operator) as client:
        page = client.get("/ui/models/shop").text
        assert 'href="/ui/models/shop/act/rollback"' in page
        confirm = client.get("/ui/models/shop/act/rollback")
        assert confirm.status_code == 200
        assert "goes back from version 2 to version 1" in confirm.text
        done = client.post("/ui/models/shop/act/rollback", data={"csrf": _csrf(confirm.text)})
        assert done.status_code == 303, done.text[:500]
        after = client.get(done.headers["location"]).text
    assert registry.get(ctx, "shop@champion").version == 1
    events = audit.events(ctx.db, subject="shop")
    moved = [e for e in events if e.action == "alias.set" and e.subject == "shop@champion"][-1]
    assert moved.actor == "olivia" and moved.payload["version"] == 1
    assert any(e.action == "rollout.rollback" and e.actor == "olivia" for e in events)
    assert "Rolled back" in after and "rollout.rollback" in after


def test_promote_and_a_conflict_said_plainly(dashboard) -> None:
    ctx = dashboard.world.ws.context
    with dashboard.signed_in(dashboard.world.operator) as client:
        same = client.get("/ui/models/shop/act/promote?version=2")
        assert same.status_code == 400 and "already answers" in same.text
        confirm = client.get("/ui/models/shop/act/promote?version=1")
        assert "Version 1 of shop will answer all its traffic in place of version 2" in confirm.text
        done = client.post(
            "/ui/models/shop/act/promote", data={"csrf": _csrf(confirm.text), "version": "1"}
        )
        assert done.status_code == 303
        paused = client.get("/ui/models/shop/act/pause")
        assert paused.status_code == 409 and "no rollout under way" in paused.text
        approve = client.get("/ui/models/shop/act/approve?version=2")
        assert approve.status_code == 409 and "not waiting for approval" in approve.text
    assert registry.get(ctx, "shop@champion").version == 1


def test_revoked_token_ends_its_session(dashboard) -> None:
    ctx = dashboard.world.ws.context
    with dashboard.signed_in(dashboard.world.viewer) as client:
        assert client.get("/ui/").status_code == 200
        token = next(t for t in auth.list_tokens(ctx) if t.name == "victor")
        auth.revoke(ctx, token.id)
        assert client.get("/ui/").status_code == 303


def test_compare_shows_both_versions(dashboard) -> None:
    with dashboard.signed_in(dashboard.world.viewer) as client:
        page = client.get("/ui/models/shop/compare?a=1&b=2").text
    assert "version 1 beside version 2" in page
    assert page.count("Likely range") == 2
    assert page.count("<svg") == 2  # a reliability diagram each


def test_chart_data_for_programs_and_the_page(dashboard) -> None:
    headers = {"authorization": f"Bearer {dashboard.world.viewer}"}
    with httpx.Client(base_url=dashboard.url, headers=headers, timeout=30) as client:
        history = client.get("/v1/models/shop/history", params={"points": 10}).json()
        traffic = client.get("/v1/models/shop/traffic").json()
        health = client.get("/v1/models/shop/health").json()
        unknown = [
            client.get(f"/v1/models/nope/{what}") for what in ("health", "history", "traffic")
        ]
    assert history["windows"] == 48 and len(history["t"]) <= 10
    assert set(history["features"]) == {"income", "age", "visits", "basket"}
    assert max(history["features"]["income"]) > max(history["features"]["age"])
    assert history["performance"]["metric"] == "accuracy"
    assert sum(traffic["requests"]) == 48 * 120 and sum(traffic["failures"]) == 8
    assert health["word"] == "Needs action" and "income" in health["why"]
    assert [u.status_code for u in unknown] == [404, 404, 404]
    assert "nope" in unknown[0].json()["error"]


def _waiting(ctx, candidate: int = 1) -> None:
    """A rollout of ``candidate`` waiting for approval, as the loop leaves one after the gate."""
    import datetime as dt

    from driftline.store import LoopRunRow

    now = dt.datetime.now(dt.UTC)
    with ctx.db.write() as s:
        s.add(
            LoopRunRow(
                model="shop",
                state="awaiting_approval",
                paused=False,
                trigger="manual",
                champion=2,
                candidate=candidate,
                step=-1,
                percent=0.0,
                reason="",
                details={},
                started_by="maker",
                created_at=now,
                updated_at=now,
            )
        )


def test_operator_approves_then_pauses_then_stops_a_rollout(dashboard) -> None:
    from driftline import loop

    ctx = dashboard.world.ws.context
    _waiting(ctx)

    def act(client: httpx.Client, action: str, query: str = "", **fields: str) -> str:
        confirm = client.get(f"/ui/models/shop/act/{action}{query}")
        assert confirm.status_code == 200, confirm.text[:400]
        done = client.post(
            f"/ui/models/shop/act/{action}", data={"csrf": _csrf(confirm.text), **fields}
        )
        assert done.status_code == 303, done.text[:400]
        return re.search(r'<p class="plan">(.+?)</p>', confirm.text).group(1)

    with dashboard.signed_in(dashboard.world.operator) as client:
        page = client.get("/ui/models/shop").text
        assert "Approve version 1" in page and "Reject version 1" in page
        said = act(client, "approve", "?version=1", version="1", note="checked the slices")
        assert "Version 1 of shop goes on to its canary" in said
        assert loop.status(ctx, "shop")["run"]["state"] == "canary"
        act(client, "pause")
        assert loop.status(ctx, "shop")["run"]["paused"] is True
        assert "Resume the rollout" in client.get("/ui/models/shop").text
        act(client, "abort")
    run = loop.status(ctx, "shop")["run"]
    assert run["state"] == "aborted"
    actions = {(e.action, e.actor) for e in audit.events(ctx.db, subject="shop")}
    assert {("loop.approve", "olivia"), ("rollout.pause", "olivia")} <= actions
    assert ("rollout.abort", "olivia") in actions
    approval = loop.approvals(ctx, "shop")[-1]
    assert approval["note"] == "checked the slices" and approval["actor"] == "olivia"


def test_the_maker_of_a_version_may_not_approve_it(dashboard) -> None:
    ctx = dashboard.world.ws.context
    _, maker = auth.create(ctx, role="operator", name="maker")
    _waiting(ctx)
    with dashboard.signed_in(maker) as client:
        confirm = client.get("/ui/models/shop/act/approve?version=1")
        answer = client.post(
            "/ui/models/shop/act/approve", data={"csrf": _csrf(confirm.text), "version": "1"}
        )
    assert answer.status_code == 403 and "separation of duties" in answer.text
