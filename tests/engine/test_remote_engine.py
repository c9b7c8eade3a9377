"""RemoteEngine against a fake OpenAI-compatible server on 127.0.0.1 (real HTTP and SSE)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import load_settings
from bot.engine.base import ChatMessage, EngineUnavailable, GenerationRequest
from bot.engine.remote import RemoteEngine, RetryPolicy, base_url_of
from tests.engine.openai_server import FakeOpenAIServer, Reply

FAST_RETRY = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.05)


def ask(text: str = "Where is my order?", **options: object) -> GenerationRequest:
    messages = [ChatMessage("system", "You help customers."), ChatMessage("user", text)]
    return GenerationRequest(messages, **options)  # type: ignore[arg-type]


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAIServer]:
    fake = FakeOpenAIServer(api_key="sk-test")
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def engine(server: FakeOpenAIServer) -> AsyncIterator[RemoteEngine]:
    remote = RemoteEngine(server.base_url, model="tiny", api_key="sk-test", retry=FAST_RETRY)
    yield remote
    await remote.close()


async def test_streams_pieces_and_reports_usage(
    engine: RemoteEngine, server: FakeOpenAIServer
) -> None:
    pieces: list[str] = []
    result = await engine.generate(ask(max_new_tokens=20, stop=["\n["]), on_text=pieces.append)
    assert pieces == ["Hello", ",", " how", " can", " I", " help", "?"]
    assert result.text == "Hello, how can I help?"
    assert result.finish_reason == "stop"
    assert (result.prompt_tokens, result.completion_tokens) == (42, 7)
    assert result.time_to_first_token is not None
    sent = server.requests[0]
    assert sent["stream"] is True and sent["model"] == "tiny" and sent["max_tokens"] == 20
    assert sent["stop"] == ["\n["]
    assert sent["messages"][1] == {"role": "user", "content": "Where is my order?"}


async def test_stream_iterator_yields_the_same_text(engine: RemoteEngine) -> None:
    assert "".join([piece async for piece in engine.stream(ask())]) == "Hello, how can I help?"


async def test_500_then_success_is_retried(engine: RemoteEngine, server: FakeOpenAIServer) -> None:
    server.script.extend([Reply(status=500), Reply(status=429, headers={"Retry-After": "0"})])
    result = await engine.generate(ask())
    assert result.finish_reason == "stop"
    assert result.text == "Hello, how can I help?"
    assert len(server.requests) == 3


async def test_gives_up_after_the_last_attempt(
    engine: RemoteEngine, server: FakeOpenAIServer
) -> None:
    server.script.extend([Reply(status=503)] * 3)
    result = await engine.generate(ask())
    assert result.finish_reason == "error"
    assert result.error is not None and "503" in result.error
    assert len(server.requests) == 3


async def test_stream_cut_off_midway_keeps_the_partial_text(
    engine: RemoteEngine, server: FakeOpenAIServer
) -> None:
    server.script.append(Reply(cut_after=3))
    pieces: list[str] = []
    result = await engine.generate(ask(), on_text=pieces.append)
    assert result.finish_reason == "error"
    assert result.text == "Hello, how" == "".join(pieces)
    assert result.error is not None and "cut off" in result.error
    assert len(server.requests) == 1  # text already reached the customer: no retry


async def test_cut_before_any_text_is_retried(
    engine: RemoteEngine, server: FakeOpenAIServer
) -> None:
    server.script.append(Reply(cut_after=0))
    result = await engine.generate(ask())
    assert result.finish_reason == "stop" and result.text == "Hello, how can I help?"
    assert len(server.requests) == 2


async def test_deadline_ends_a_stalled_stream(
    engine: RemoteEngine, server: FakeOpenAIServer
) -> None:
    server.script.append(Reply(stall_after=2))
    seen: list[str] = []
    result = await engine.generate(
        ask(deadline=GenerationRequest.deadline_in(0.5)), on_text=seen.append
    )
    assert result.finish_reason == "deadline"
    assert result.text == "Hello,"


async def test_wrong_api_key_is_a_clear_error(server: FakeOpenAIServer) -> None:
    remote = RemoteEngine(server.base_url, api_key="sk-wrong", retry=FAST_RETRY)
    with pytest.raises(EngineUnavailable, match="SUPPORTBOT_OPENAI_API_KEY"):
        await remote.generate(ask())
    await remote.close()
    assert server.requests == []


async def test_wrong_path_is_a_clear_error(server: FakeOpenAIServer) -> None:
    remote = RemoteEngine(f"http://127.0.0.1:{server.port}/api", api_key="sk-test")
    with pytest.raises(EngineUnavailable, match="SUPPORTBOT_MODEL"):
        await remote.generate(ask())
    await remote.close()


async def test_connection_refused_ends_in_error_after_retries() -> None:
    closed = FakeOpenAIServer()
    await closed.start()
    await closed.stop()  # the port is now free: connections are refused
    remote = RemoteEngine(closed.base_url, retry=FAST_RETRY)
    result = await remote.generate(ask())
    await remote.close()
    assert result.finish_reason == "error"
    assert result.error is not None and "ConnectError" in result.error


def test_settings_build_the_remote_engine() -> None:
    settings = load_settings(
        model="openai:http://gpu-box:8000", openai_model="smol", openai_api_key="sk-1"
    )
    remote = RemoteEngine.from_settings(settings)
    assert remote.model == "smol"
    assert str(remote._client.base_url) == "http://gpu-box:8000/v1/"
    assert base_url_of("openai:https://api.example.com/v1/") == "https://api.example.com/v1"
    with pytest.raises(EngineUnavailable, match="SUPPORTBOT_MODEL"):
        base_url_of("openai:gpu-box")
