"""Generation figures of the instrumented engine and the event counters, through /metrics."""

from __future__ import annotations

import httpx
import pytest

from bot.app import open_app
from bot.config import Settings
from bot.engine.base import ChatMessage, EngineBusy, GenerationRequest
from bot.engine.fake import FakeEngine
from bot.observability import events
from bot.observability.instrumented import instrumented, unwrapped
from bot.observability.wiring import serving_operations
from tests.observability.test_http import samples

REQUEST = GenerationRequest([ChatMessage("user", "When do you open?")], max_new_tokens=8)


async def test_generations_are_counted_by_outcome_with_tokens_and_timings(
    ops_settings: Settings,
) -> None:
    fake = FakeEngine()
    fake.enqueue("We open at nine.", EngineBusy("queue full"))
    engine = instrumented(fake)
    assert instrumented(engine) is engine and unwrapped(engine) is fake
    assert engine.requests is not None and engine.closed is False  # passed through to the fake

    async with open_app(ops_settings, engine=engine) as app, serving_operations(app) as server:
        generation = await engine.generate(REQUEST)
        with pytest.raises(EngineBusy):
            await engine.generate(REQUEST)
        events.bot_api_error(403)
        events.retrieval_took(0.003)
        assert server is not None
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"http://127.0.0.1:{server.port}/metrics")).text
    found = samples(text)
    assert found[("supportbot_generation_requests_total", (("outcome", "stop"),))] == 1
    assert found[("supportbot_generation_requests_total", (("outcome", "EngineBusy"),))] == 1
    completion = found[("supportbot_generation_tokens_total", (("kind", "completion"),))]
    assert completion == generation.completion_tokens == 4
    assert found[("supportbot_generation_seconds_count", ())] == 2
    assert found[("supportbot_generation_first_token_seconds_count", ())] == 1
    assert found[("supportbot_bot_api_errors_total", (("code", "403"),))] >= 1
    assert found[("supportbot_retrieval_seconds_count", ())] >= 1
    assert found[("supportbot_instance_info", (("engine", "fake"), ("instance", "test-1")))] == 1
