"""The engine seam: what ``GenerationEngine`` gives every backend (``stream``, ``close``), the
fake as a real subclass, and how ``SUPPORTBOT_MODEL`` picks an engine from the registry."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.engine import FakeEngine, GenerationEngine, load_engine, register_engine, registry
from bot.engine.base import (
    ChatMessage,
    EngineError,
    EngineUnavailable,
    Generation,
    GenerationRequest,
    TextCallback,
)


def ask(text: str = "Where is my order?", **options: object) -> GenerationRequest:
    return GenerationRequest([ChatMessage("user", text)], **options)  # type: ignore[arg-type]


class HangingEngine(GenerationEngine):
    """Sends one piece, then waits until cancelled; records that it was."""

    name = "hanging"

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()

    async def generate(
        self, request: GenerationRequest, on_text: TextCallback | None = None
    ) -> Generation:
        if on_text is not None:
            on_text("Hello")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        raise AssertionError("unreachable")

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return len(messages)


def test_an_engine_must_generate_and_count_tokens() -> None:
    class Incomplete(GenerationEngine):
        name = "incomplete"

    with pytest.raises(TypeError, match="count_tokens"):
        Incomplete()  # type: ignore[abstract]


async def test_stream_yields_pieces_as_they_are_generated() -> None:
    engine = FakeEngine()
    engine.enqueue("Your order ships today.")
    engine.delay_per_piece = 0.05
    arrivals: list[tuple[str, float]] = []
    async for piece in engine.stream(ask()):
        arrivals.append((piece, time.monotonic()))
    assert [piece for piece, _ in arrivals] == ["Your", " order", " ships", " today."]
    assert arrivals[-1][1] - arrivals[0][1] >= 0.1  # not collected first and replayed


async def test_stream_raises_what_generate_raised() -> None:
    engine = FakeEngine()
    engine.enqueue(EngineError("boom"))
    with pytest.raises(EngineError, match="boom"):
        [piece async for piece in engine.stream(ask())]


async def test_leaving_the_stream_cancels_the_request() -> None:
    engine = HangingEngine()
    pieces = engine.stream(ask())
    assert await anext(pieces) == "Hello"
    await pieces.aclose()
    await asyncio.wait_for(engine.cancelled.wait(), timeout=1)


async def test_close_is_a_no_op_unless_overridden() -> None:
    await HangingEngine().close()
    fake = FakeEngine()
    await fake.close()
    assert fake.closed


@pytest.mark.parametrize(
    ("model", "entry"),
    [
        ("openai:http://127.0.0.1:9/v1", "openai"),
        ("smollm2-135m", "local"),
        ("./models/tiny.gguf", "local"),
        ("/srv/models/tiny", "local"),
        ("~/models/tiny/", "local"),
        ("HuggingFaceTB/SmolLM2-360M-Instruct", "local"),
        ("gpt2", "local"),
    ],
)
def test_the_setting_names_the_engine(model: str, entry: str) -> None:
    assert registry.engine_for(model).name == entry


def test_an_unknown_prefix_is_one_clear_error() -> None:
    with pytest.raises(EngineUnavailable, match="SUPPORTBOT_MODEL: no engine is registered"):
        registry.engine_for("llamacpp:http://127.0.0.1:8080")


async def test_a_registered_engine_is_loaded_like_the_bundled_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "_ENTRIES", list(registry._ENTRIES))
    built: list[str] = []

    async def load_fake(settings: Settings) -> GenerationEngine:
        built.append(settings.model)
        return FakeEngine(name=settings.model)

    register_engine("fake", registry.prefixed("fake:"), load_fake)
    engine = await load_engine(load_settings(model="fake:canned"))
    assert isinstance(engine, FakeEngine) and engine.name == "fake:canned"
    assert built == ["fake:canned"]


def test_importing_the_engine_package_does_not_import_torch() -> None:
    code = "import sys, bot.engine; print(sorted({'torch', 'transformers'} & set(sys.modules)))"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
