"""Key/value memory of the decoding batch and of prompts being prefilled.

``BatchKV`` holds one preallocated buffer per layer, ``[max_batch, kv_heads, capacity, head_dim]``,
whose rows are the requests currently decoding, kept compact (rows ``0..n-1``) so a decode step
attends over a plain slice without gathering. Positions are right-padded: row ``i`` holds
``lengths[i]`` valid positions starting at 0, so every request keeps its own absolute positions
and no left padding is ever needed. ``PromptKV`` holds one prompt while it is prefilled chunk by
chunk; when its prompt is complete it is copied into a free row of ``BatchKV``.
"""

from __future__ import annotations

import torch

Layers = list[torch.Tensor]
STEP = 64  # capacity granularity of the batch buffers, in positions


class PromptKV:
    """Keys and values of one prompt, ``[kv_heads, length, head_dim]`` per layer."""

    def __init__(self, keys: Layers, values: Layers, filled: int = 0) -> None:
        self.keys = keys
        self.values = values
        self.filled = filled

    @classmethod
    def empty(
        cls, layers: int, kv_heads: int, length: int, head_dim: int, dtype: torch.dtype
    ) -> PromptKV:
        shape = (kv_heads, length, head_dim)
        keys = [torch.empty(shape, dtype=dtype) for _ in range(layers)]
        values = [torch.empty(shape, dtype=dtype) for _ in range(layers)]
        return cls(keys, values)

    def copy_prefix_from(self, other: PromptKV, length: int) -> None:
        """Take the first ``length`` positions from ``other`` (a cached shared prefix)."""
        for mine, theirs in zip(self.keys + self.values, other.keys + other.values, strict=True):
            mine[:, :length].copy_(theirs[:, :length])
        self.filled = length

    def prefix(self, length: int) -> PromptKV:
        """A compact copy of the first ``length`` positions (to keep as a shared prefix)."""
        keys = [k[:, :length].clone() for k in self.keys]
        values = [v[:, :length].clone() for v in self.values]
        return PromptKV(keys, values, filled=length)


class BatchKV:
    """Per-layer key/value buffers of the rows that are decoding, compact and right-padded."""

    def __init__(
        self, layers: int, max_rows: int, kv_heads: int, head_dim: int, dtype: torch.dtype
    ) -> None:
        self.layers = layers
        self.max_rows = max_rows
        self.kv_heads = kv_heads
        self.head_dim = head_dim
        self.dtype = dtype
        self.capacity = 0
        self.keys: Layers = []
        self.values: Layers = []
        self.lengths: list[int] = []

    @property
    def rows(self) -> int:
        return len(self.lengths)

    def fit(self, positions: int) -> None:
        """Size the buffers to ``positions`` rounded up to ``STEP``: grow when needed, shrink
        when less than half is used (decode attention reads the whole capacity, because a
        full-capacity slice of the first rows is contiguous and a contiguous batched matmul is
        several times faster here than attention over a strided slice)."""
        capacity = max(STEP, -(-positions // STEP) * STEP)
        if self.capacity and positions <= self.capacity and capacity > self.capacity // 2:
            return
        if capacity == self.capacity:
            return
        shape = (self.max_rows, self.kv_heads, capacity, self.head_dim)
        keys = [torch.zeros(shape, dtype=self.dtype) for _ in range(self.layers)]
        values = [torch.zeros(shape, dtype=self.dtype) for _ in range(self.layers)]
        keep = min(capacity, self.capacity)
        if keep:
            rows = self.rows
            for new, old in zip(keys + values, self.keys + self.values, strict=True):
                new[:rows, :, :keep].copy_(old[:rows, :, :keep])
        self.keys, self.values, self.capacity = keys, values, capacity

    def add_row(self, prompt: PromptKV) -> int:
        """Copy a fully prefilled prompt into the next row; return the row index."""
        row = self.rows
        if row >= self.max_rows:
            raise RuntimeError("no free row in the batch")
        length = prompt.filled
        self.fit(max([length, *self.lengths]) + 1)
        for mine, theirs in zip(self.keys + self.values, prompt.keys + prompt.values, strict=True):
            mine[row, :, :length].copy_(theirs[:, :length])
        self.lengths.append(length)
        return row

    def remove_row(self, row: int) -> None:
        """Drop ``row``, moving the last row into its place (callers mirror the move)."""
        last = self.rows - 1
        if row != last:
            length = self.lengths[last]
            for buffer in self.keys + self.values:
                buffer[row, :, :length].copy_(buffer[last, :, :length])
            self.lengths[row] = length
        self.lengths.pop()

    def clear(self) -> None:
        self.lengths.clear()
        self.keys, self.values, self.capacity = [], [], 0
