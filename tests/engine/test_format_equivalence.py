"""The narrower weight formats against float32 on the real model and the demo support prompts.

Stated tolerance (first six prompts of ``bench.engine``'s support workload, greedy, 16 tokens):
- float16 weights: the same 16 tokens on every prompt, first-token logits within 0.1
  (measured: 0.02-0.03).
- int8 weights and per-token int8 activations (opt-in): first-token logits within 6 and the
  same first token on at least four of the six prompts (measured: 3.1-4.3 apart; 0-16 tokens
  alike, 3.7 on average with torch's AVX2 kernels, 9.8 with AVX-512). The model's own weights
  are 4-bit blocks of 32 (Q4_1), which one int8 scale per output channel cannot hold exactly;
  bfloat16, the format of BF16 CPUs, measured 0.26-0.49 apart and 5-16 tokens alike.
Slow: loads the real model three times (from the pytest cache after the first conversion).
"""

from __future__ import annotations

import pytest
import torch

from bench.engine_workloads import support_prompts
from bot.engine.cpu import WeightFormat, fbgemm_available
from bot.engine.loading import load_model
from bot.engine.local import ChatTokens
from bot.engine.model_source import resolve_model
from bot.engine.packed_llama import PackedLlama, PrefillChunk
from tests.engine.conftest import real_model_cache

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not fbgemm_available(), reason="no fbgemm in this build"),
]
NEW_TOKENS = 16


def greedy(runner: PackedLlama, ids: list[int]) -> tuple[torch.Tensor, list[int]]:
    """First-token logits and ``NEW_TOKENS`` greedy tokens for one prompt, alone."""
    with torch.inference_mode():
        batch, kv = runner.new_batch_kv(1), runner.new_prompt_kv(len(ids))
        logits = runner.step(batch, [], [PrefillChunk(kv, ids, 0, True)])
        first = logits[0].clone()
        batch.add_row(kv, reserve=len(ids) + NEW_TOKENS)
        tokens = [int(first.argmax())]
        while len(tokens) < NEW_TOKENS:
            tokens.append(int(runner.step(batch, [tokens[-1]], [])[0].argmax()))
    return first, tokens


def run(fmt: WeightFormat, config: pytest.Config) -> list[tuple[torch.Tensor, list[int]]]:
    loaded = load_model(resolve_model("smollm2-135m"), torch.float32, real_model_cache(config))
    tokens = ChatTokens(loaded.tokenizer)
    runner = PackedLlama(loaded.model, weights=fmt)
    return [greedy(runner, tokens.encode(p)) for p in support_prompts(6)]


def alike(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), len(a))


@pytest.fixture(scope="module")
def reference(pytestconfig: pytest.Config) -> list[tuple[torch.Tensor, list[int]]]:
    return run("float32", pytestconfig)


def test_float16_weights_give_float32_output(reference, pytestconfig: pytest.Config) -> None:
    narrow = run("float16", pytestconfig)
    for (ref_logits, ref_tokens), (logits, tokens) in zip(reference, narrow, strict=True):
        assert float((logits - ref_logits).abs().max()) < 0.1
        assert tokens == ref_tokens


def test_int8_stays_within_the_stated_tolerance(reference, pytestconfig: pytest.Config) -> None:
    narrow = run("int8", pytestconfig)
    pairs = list(zip(reference, narrow, strict=True))
    assert sum(tokens[0] == ref_tokens[0] for (_, ref_tokens), (_, tokens) in pairs) >= 4
    assert max(float((b[0] - a[0]).abs().max()) for a, b in pairs) < 6
