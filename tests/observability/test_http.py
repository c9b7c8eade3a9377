"""/healthz, /readyz and /metrics over real HTTP on 127.0.0.1, on the real composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App, open_app
from bot.config import Settings
from bot.conversation.exchange import AnswerMode, Incoming
from bot.engine.fake import FakeEngine
from bot.observability.wiring import serving_operations
from storage import migrations
from storage.models import SessionState, utcnow
from storage.repositories import feedback, inbox, outbox, sessions


@pytest.fixture
async def app(ops_settings: Settings) -> AsyncIterator[App]:
    async with open_app(ops_settings, engine=FakeEngine()) as app:
        yield app


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    async with serving_operations(app) as server:
        assert server is not None and server.port == app.settings.metrics_port
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            yield client


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition as (name, sorted labels) -> value."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_healthz_answers_and_unknown_paths_are_404(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    assert (health.status_code, health.text) == (200, "ok\n")
    assert (await client.get("/nope")).status_code == 404
    assert (await client.post("/healthz")).status_code == 405


async def test_readyz_checks_database_migrations_and_engine(
    app: App, client: httpx.AsyncClient
) -> None:
    ready = await client.get("/readyz")
    body: dict[str, Any] = ready.json()
    assert ready.status_code == 200 and body["ready"] is True
    assert [c["name"] for c in body["checks"]] == ["database", "migrations", "engine"]

    await migrations.downgrade(app.db_engine, "0004")  # an old schema: not ready
    behind = await client.get("/readyz")
    assert behind.status_code == 503
    failed = [c["name"] for c in behind.json()["checks"] if not c["ok"]]
    assert failed == ["migrations"]
    await migrations.upgrade(app.db_engine)

    assert app.engine is not None
    await app.engine.close()
    app.engine.closed = True  # type: ignore[attr-defined]  # FakeEngine's own flag
    closed = await client.get("/readyz")
    assert closed.status_code == 503
    assert [c["name"] for c in closed.json()["checks"] if not c["ok"]] == ["engine"]


async def test_metrics_count_what_the_service_stored(app: App, client: httpx.AsyncClient) -> None:
    before = samples((await client.get("/metrics")).text)
    assert before[("supportbot_instance_info", (("engine", "fake"), ("instance", "test-1")))] == 1

    faq = await app.conversation.handle(Incoming(7, 7, "how long does shipping take?", "telegram"))
    hello = await app.conversation.handle(Incoming(7, 7, "hello", "telegram"))
    await app.conversation.handle(Incoming(8, 8, "how long does shipping take?", "console"))
    assert (faq.mode, hello.mode) == (AnswerMode.FAQ, AnswerMode.SMALLTALK)
    async with app.session_factory() as s, s.begin():
        chat = await sessions.get(session=s, session_id=faq.session_id or 0)
        assert chat is not None and faq.message_id is not None
        await feedback.record(session=s, message_id=faq.message_id, user_id=chat.user_id, rating=1)
        await sessions.set_state(session=s, chat=chat, state=SessionState.HUMAN)

    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)
    assert after[("supportbot_messages_received_total", (("channel", "telegram"),))] == 2
    assert after[("supportbot_messages_received_total", (("channel", "console"),))] == 1
    answered = (("channel", "telegram"), ("mode", "faq"))
    assert after[("supportbot_messages_answered_total", answered)] == 1
    assert after[("supportbot_reply_latency_seconds_count", (("mode", "faq"),))] == 2
    inf_bucket = (("le", "+Inf"), ("mode", "faq"))
    assert after[("supportbot_reply_latency_seconds_bucket", inf_bucket)] == 2
    assert after[("supportbot_feedback_total", (("rating", "up"),))] == 1
    assert after[("supportbot_feedback_total", (("rating", "down"),))] == 0
    assert after[("supportbot_open_handoffs", ())] == 1
    assert after[("supportbot_confident_answer_ratio", (("window", "24h"),))] == 1.0
    assert after[("supportbot_engine_running", ())] == 1
    assert ("process_resident_memory_bytes", ()) in after


async def test_no_port_no_server(app: App) -> None:
    app.settings = app.settings.model_copy(update={"metrics_port": None})
    async with serving_operations(app) as server:
        assert server is None


async def test_inbox_backlog_and_outbox_pending(app: App, client: httpx.AsyncClient) -> None:
    now = utcnow()
    async with app.session_factory() as s, s.begin():
        received = [
            inbox.Received(update_id=n, dedup_key=f"m:5:{n}", chat_id=5, payload={}, sent_at=now)
            for n in (1, 2)
        ]
        first, _ = await inbox.add_new(session=s, channel="telegram", received=received, now=now)
        await outbox.add(session=s, inbox_id=first, seq=1, chat_id=5, kind="send", body={}, now=now)
    found = samples((await client.get("/metrics")).text)
    assert found[("supportbot_inbox_backlog", ())] == 2
    assert found[("supportbot_outbox_pending", ())] == 1
