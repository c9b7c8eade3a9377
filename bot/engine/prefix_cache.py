"""Prefix caching: the keys/values of prompt beginnings that many requests share.

Every customer's prompt starts with the same rendered system prompt, so its keys and values are
computed once and copied into each new prompt instead of being recomputed. Entries are keyed by
their token ids; a lookup finds the entry with the longest common token prefix, and any common
part is usable (positions are absolute, so a prefix of an entry is a valid entry). The worker
stores a request's system-prompt part whenever the cache did not already cover all of it, so
when an admin edits the prompt the first request computes and stores the new version, later
ones reuse it, and the old entry ages out (LRU).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.engine.kv_cache import PromptKV


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    size = min(len(a), len(b))
    for index in range(size):
        if a[index] != b[index]:
            return index
    return size


@dataclass(slots=True)
class PrefixEntry:
    token_ids: tuple[int, ...]
    kv: PromptKV


class PrefixCache:
    """A small LRU of shared prompt prefixes and their keys/values."""

    def __init__(self, max_entries: int = 4, min_tokens: int = 16) -> None:
        self.max_entries = max_entries
        self.min_tokens = min_tokens
        self._entries: OrderedDict[tuple[int, ...], PrefixEntry] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.reused_tokens = 0

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, prompt_ids: Sequence[int]) -> tuple[PrefixEntry | None, int]:
        """The best entry for ``prompt_ids`` and how many leading tokens it provides.

        At least one prompt token is always left to compute (its logits start the reply).
        """
        best, best_length = None, 0
        for entry in self._entries.values():
            length = common_prefix_length(entry.token_ids, prompt_ids)
            if length > best_length:
                best, best_length = entry, length
        best_length = min(best_length, len(prompt_ids) - 1)
        if best is None or best_length < self.min_tokens:
            self.misses += 1
            return None, 0
        self._entries.move_to_end(best.token_ids)
        self.hits += 1
        self.reused_tokens += best_length
        return best, best_length

    def insert(self, token_ids: Sequence[int], kv: PromptKV) -> None:
        """Remember ``kv`` (exactly ``len(token_ids)`` positions) for ``token_ids``."""
        key = tuple(token_ids)
        if len(key) < self.min_tokens:
            return
        self._entries[key] = PrefixEntry(key, kv)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
