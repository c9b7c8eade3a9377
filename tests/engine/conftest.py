"""Fixtures for engine tests: a tiny random Llama built in-process from real transformers
classes (fast), and the real bundled model (``slow``), converted once per machine into a
pytest cache folder so later runs load it in about a second."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from bot.engine.base import ChatMessage, GenerationRequest
from bot.engine.loading import LoadedModel, load_model
from bot.engine.local import LocalEngine
from bot.engine.model_source import resolve_model

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level tokenizer with no merges: every byte is a token, plus chat specials."""
    byte_chars = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {token: index for index, token in enumerate(SPECIALS + byte_chars)}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIALS,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_llama(vocab_size: int, seed: int = 0) -> LlamaForCausalLM:
    """A 2-layer random Llama with grouped-query attention, float32."""
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        initializer_range=0.5,
        tie_word_embeddings=True,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
    )
    model = LlamaForCausalLM(config).eval()
    model.generation_config.eos_token_id = 2
    model.generation_config.pad_token_id = 0
    return model


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


SYSTEM = "You are the support assistant of Acme Shop. Answer briefly and politely."


def chat(question: str, system: str = SYSTEM, **options: object) -> GenerationRequest:
    messages = [ChatMessage("system", system), ChatMessage("user", question)]
    return GenerationRequest(messages, **options)  # type: ignore[arg-type]


def real_model_cache(config: pytest.Config) -> Path:
    return Path(config.cache.mkdir("supportbot-models"))


@pytest.fixture(scope="session")
def real_float32(pytestconfig: pytest.Config) -> LoadedModel:
    return load_model(resolve_model("smollm2-135m"), torch.float32, real_model_cache(pytestconfig))
