"""Fixtures for engine tests: a tiny random Llama built in-process from real transformers
classes (fast), and the real bundled model (``slow``), converted once per machine into a
pytest cache folder so later runs load it in about a second."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import torch
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

from bot.engine.loading import LoadedModel, load_model
from bot.engine.local import LocalEngine
from bot.engine.model_source import resolve_model
from tests.engine.tiny_model import tiny_llama, tiny_tokenizer


@pytest.fixture(scope="session")
def tiny_parts() -> tuple[LlamaForCausalLM, PreTrainedTokenizerFast]:
    tokenizer = tiny_tokenizer()
    return tiny_llama(len(tokenizer)), tokenizer


@pytest.fixture
async def tiny_engine(tiny_parts) -> AsyncIterator[LocalEngine]:
    model, tokenizer = tiny_parts
    engine = LocalEngine(model, tokenizer, name="tiny", max_batch=8, prefill_chunk=48)
    engine.start()
    yield engine
    await engine.close()


def real_model_cache(config: pytest.Config) -> Path:
    """Converted real models persist across runs in pytest's cache folder (if enabled)."""
    cache = getattr(config, "cache", None)
    if cache is None:
        return Path(tempfile.gettempdir()) / "supportbot-test-models"
    return Path(cache.mkdir("supportbot-models"))


@pytest.fixture(scope="session")
def real_float32(pytestconfig: pytest.Config) -> LoadedModel:
    return load_model(resolve_model("smollm2-135m"), torch.float32, real_model_cache(pytestconfig))
