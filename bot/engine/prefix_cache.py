"""Automatic prefix caching over token blocks (vLLM-style), shared by every request.

A prompt is cut into blocks of ``block_size`` tokens. Each full block is named by a hash chained
with its whole prefix (``hash((parent_hash, block_tokens))``), so one name means one exact
token prefix: the same system prompt, the same FAQ entries in the same order, the same earlier
turn of a conversation. The keys/values of computed blocks are kept, and any later prompt that
starts with the same blocks copies them instead of recomputing them. Positions are absolute and
a block depends only on what precedes it, so reuse is exact.

Stale reuse is impossible by construction: an edited system prompt changes the first block's
tokens, hence every later name; a hash collision cannot hand out wrong keys either, because a
hit also checks the block's tokens and its parent's name. Memory is bounded by a budget in
bytes (``SUPPORTBOT_ENGINE_CACHE_MB``); when it is exceeded the least recently used blocks go
first. A lookup touches a chain from its last block back to its first, so a chain is evicted
tail first and its shared beginning (the system prompt) stays longest.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from bot.engine.kv_cache import PromptKV

BlockHash = int
ROOT: BlockHash = 0


def block_hashes(token_ids: Sequence[int], block_size: int) -> list[BlockHash]:
    """The chained names of every full block of ``token_ids``."""
    names: list[BlockHash] = []
    parent = ROOT
    for start in range(0, len(token_ids) - block_size + 1, block_size):
        parent = hash((parent, tuple(token_ids[start : start + block_size])))
        names.append(parent)
    return names


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    size = min(len(a), len(b))
    for index in range(size):
        if a[index] != b[index]:
            return index
    return size


@dataclass(slots=True)
class Block:
    """One cached block: its tokens, its parent's name and its keys/values
    ``[layers, 2, kv_heads, block_size, head_dim]``."""

    parent: BlockHash
    tokens: tuple[int, ...]
    kv: torch.Tensor


class PrefixCache:
    """Blocks of prompt keys/values by chained hash, LRU-evicted within ``budget_bytes``."""

    def __init__(self, budget_bytes: int, block_size: int = 16) -> None:
        self.budget_bytes = budget_bytes
        self.block_size = block_size
        self.used_bytes = 0
        self._blocks: OrderedDict[BlockHash, Block] = OrderedDict()
        self.lookups = 0
        self.hits = 0  # lookups that reused at least one block
        self.looked_up_tokens = 0
        self.reused_tokens = 0
        self.evicted_blocks = 0

    def __len__(self) -> int:
        return len(self._blocks)

    @property
    def hit_rate(self) -> float:
        """Share of looked-up prompt tokens whose keys/values came from the cache."""
        return self.reused_tokens / self.looked_up_tokens if self.looked_up_tokens else 0.0

    def cached_blocks(self, token_ids: Sequence[int], names: Sequence[BlockHash]) -> int:
        """How many leading blocks of ``token_ids`` are cached (no statistics, no touching)."""
        size, parent = self.block_size, ROOT
        for index, name in enumerate(names):
            block = self._blocks.get(name)
            start = index * size
            if (
                block is None
                or block.parent != parent
                or block.tokens != tuple(token_ids[start : start + size])
            ):
                return index
            parent = name
        return len(names)

    def lookup(
        self, token_ids: Sequence[int], names: Sequence[BlockHash]
    ) -> tuple[list[torch.Tensor], int]:
        """The cached leading blocks of ``token_ids`` and how many tokens they cover.

        At least one prompt token is always left to compute (its logits start the reply).
        """
        usable = min(self.cached_blocks(token_ids, names), (len(token_ids) - 1) // self.block_size)
        self.lookups += 1
        self.looked_up_tokens += len(token_ids)
        if usable == 0:
            return [], 0
        for name in reversed(names[:usable]):  # the first block ends most recently used
            self._blocks.move_to_end(name)
        self.hits += 1
        self.reused_tokens += usable * self.block_size
        return [self._blocks[name].kv for name in names[:usable]], usable * self.block_size

    def insert(
        self, token_ids: Sequence[int], names: Sequence[BlockHash], kv: PromptKV, first: int
    ) -> int:
        """Keep blocks ``first..`` of ``names`` from ``kv`` (already computed); return how
        many blocks of ``names`` are now stored or known, so callers resume after them."""
        size = self.block_size
        for index in range(first, len(names)):
            name = names[index]
            if name in self._blocks:
                continue
            start = index * size
            data = kv.data[:, :, :, start : start + size]
            block = Block(
                parent=names[index - 1] if index else ROOT,
                tokens=tuple(token_ids[start : start + size]),
                kv=data.clone(memory_format=torch.contiguous_format),
            )
            cost = block.kv.nbytes
            if cost > self.budget_bytes:
                return len(names)
            self._make_room(cost)
            self._blocks[name] = block
            self.used_bytes += cost
        for name in reversed(names):  # the chain's beginning ends most recently used
            if name in self._blocks:
                self._blocks.move_to_end(name)
        return len(names)

    def _make_room(self, cost: int) -> None:
        while self._blocks and self.used_bytes + cost > self.budget_bytes:
            _, block = self._blocks.popitem(last=False)
            self.used_bytes -= block.kv.nbytes
            self.evicted_blocks += 1

    def clear(self) -> None:
        self._blocks.clear()
        self.used_bytes = 0
