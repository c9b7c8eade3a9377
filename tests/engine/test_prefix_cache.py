"""Automatic prefix caching: reuse must never change the output (float32, tiny random Llama),
the memory budget holds under pressure with LRU eviction, and a changed prefix (an edited
system prompt, a hash collision) never hands out stale keys/values."""

from __future__ import annotations

import asyncio

import torch

from bot.engine.base import ChatMessage, GenerationRequest
from bot.engine.kv_cache import PromptKV
from bot.engine.local import LocalEngine
from bot.engine.prefix_cache import PrefixCache, block_hashes
from tests.engine.test_local_engine import new_engine, reference
from tests.engine.tiny_model import SYSTEM

CONTEXT = (
    "FAQ entries:\n[1] Q: How long does delivery take?\nA: Two to four working days.\n"
    "[2] Q: How do I return an item?\nA: Within 30 days, with the prepaid label.\n"
)
QUESTIONS = ["Where is my parcel?", "Can I send back boots?", "Do you ship abroad?", "hi"]
BLOCK_BYTES_TINY = 2 * 2 * 2 * 16 * 16 * 4  # layers, k/v, kv heads, block, head_dim, float32


def support_requests() -> list[GenerationRequest]:
    """Prompts sharing the system prompt and the FAQ context, the customer's words last, and a
    follow-up turn that repeats the whole first conversation."""
    first = [ChatMessage("system", SYSTEM), ChatMessage("user", CONTEXT + QUESTIONS[0])]
    requests = [
        GenerationRequest(
            [ChatMessage("system", SYSTEM), ChatMessage("user", CONTEXT + q)], max_new_tokens=10
        )
        for q in QUESTIONS
    ]
    follow_up = [
        *first,
        ChatMessage("assistant", "It is on its way."),
        ChatMessage("user", "And when will it arrive?"),
    ]
    return [*requests, GenerationRequest(follow_up, max_new_tokens=10)]


async def answers(engine: LocalEngine, requests: list[GenerationRequest]) -> list[str]:
    """The first request alone, then the rest arriving together."""
    engine.start()
    first = await engine.generate(requests[0])
    rest = await asyncio.gather(*(engine.generate(r) for r in requests[1:]))
    await engine.close()
    return [first.text, *(r.text for r in rest)]


async def test_reuse_gives_exactly_the_output_of_no_caching(tiny_parts) -> None:
    requests = support_requests()
    uncached = new_engine(tiny_parts, prefill_chunk=24, cache_mb=0)
    cached = new_engine(tiny_parts, prefill_chunk=24)
    without = await answers(uncached, requests)
    with_cache = await answers(cached, requests)
    assert with_cache == without
    assert uncached.prefix_cache.reused_tokens == 0 and len(uncached.prefix_cache) == 0
    # Every later prompt reuses at least the system prompt and the shared FAQ context.
    shared = len(cached.tokens.encode(requests[0].messages)) - len(QUESTIONS[0]) - 20
    assert cached.prefix_cache.reused_tokens >= 4 * (shared - 16)
    assert 0 < cached.prefix_cache.hit_rate < 1
    assert without[0] == reference(tiny_parts, cached, requests[0])
    assert without[-1] == reference(tiny_parts, cached, requests[-1])


async def test_eviction_keeps_the_budget_and_the_output(tiny_parts) -> None:
    budget_blocks = 12
    engine = new_engine(
        tiny_parts, prefill_chunk=24, cache_mb=budget_blocks * BLOCK_BYTES_TINY / 2**20
    )
    requests = support_requests()
    texts = await answers(engine, requests)
    cache = engine.prefix_cache
    assert cache.evicted_blocks > 0
    assert cache.used_bytes <= cache.budget_bytes and len(cache) <= budget_blocks
    assert texts == [reference(tiny_parts, engine, r) for r in requests]


def filled_kv(length: int, seed: int) -> PromptKV:
    kv = PromptKV(torch.randn(2, 2, 1, length, 2, generator=torch.Generator().manual_seed(seed)))
    kv.filled = length
    return kv


def test_lru_evicts_the_least_recently_used_chain_tail_first() -> None:
    cache = PrefixCache(budget_bytes=6 * 2 * 2 * 1 * 4 * 2 * 4, block_size=4)
    a, b = list(range(100, 112)), list(range(200, 212))  # three blocks each
    for ids, seed in ((a, 1), (b, 2)):
        cache.insert(ids, block_hashes(ids, 4), filled_kv(12, seed), 0)
    cache.lookup([*a, 0], block_hashes([*a, 0], 4))  # a is now the most recently used
    c = [*b[:4], 300, 301, 302, 303]  # shares b's first block
    cache.insert(c, block_hashes(c, 4), filled_kv(8, 3), 0)
    assert cache.evicted_blocks == 1
    assert cache.cached_blocks([*a, 0], block_hashes([*a, 0], 4)) == 3
    # b's first block was touched by the insert of c: b lost its tail, not its beginning.
    assert cache.cached_blocks(b, block_hashes(b, 4)) == 2


def test_reused_blocks_hold_exactly_the_computed_keys_and_values() -> None:
    cache = PrefixCache(budget_bytes=1 << 20, block_size=4)
    ids = list(range(10))
    kv = filled_kv(10, 7)
    assert cache.insert(ids, block_hashes(ids, 4), kv, 0) == 2
    longer = [*ids, 42, 43]
    blocks, reused = cache.lookup(longer, block_hashes(longer, 4))
    assert reused == 8
    seeded = PromptKV(torch.zeros(2, 2, 1, 12, 2))
    seeded.copy_blocks_in(blocks)
    assert seeded.filled == 8 and torch.equal(seeded.data[:, :, :, :8], kv.data[:, :, :, :8])
    # At least one prompt token is always computed: a prompt of exactly two blocks reuses one.
    assert cache.lookup(ids[:8], block_hashes(ids[:8], 4))[1] == 4


def test_a_changed_prefix_never_reuses_later_blocks() -> None:
    cache = PrefixCache(budget_bytes=1 << 20, block_size=4)
    old = list(range(20))
    cache.insert(old, block_hashes(old, 4), filled_kv(20, 1), 0)
    edited = [*old[:5], 999, *old[6:]]  # the system prompt edited in its second block
    names_old, names_new = block_hashes(old, 4), block_hashes(edited, 4)
    assert names_new[0] == names_old[0]
    assert all(n != o for n, o in zip(names_new[1:], names_old[1:], strict=True))
    assert cache.lookup(edited, names_new)[1] == 4  # blocks 3-5 hold the same tokens: not reused
    # Even a hash collision cannot hand out a block: its tokens and parent are checked.
    assert cache.lookup(edited, names_old)[1] == 4
    assert cache.cached_blocks([7, 7, 7, 7, 1], names_old) == 0
