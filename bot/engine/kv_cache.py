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
    """Keys and values of one prompt: one tensor ``[layers, 2, kv_heads, length, head_dim]``,
    seen per layer as ``keys[i]`` / ``values[i]`` ``[kv_heads, length, head_dim]`` views (one
    tensor, so prefix-cache blocks are cut out and copied in with one call each)."""

    def __init__(self, data: torch.Tensor, filled: int = 0) -> None:
        self.data = data
        self.keys: Layers = [layer[0] for layer in data]
        self.values: Layers = [layer[1] for layer in data]
        self.filled = filled

    @classmethod
    def empty(
        cls, layers: int, kv_heads: int, length: int, head_dim: int, dtype: torch.dtype
    ) -> PromptKV:
        return cls(torch.empty((layers, 2, kv_heads, length, head_dim), dtype=dtype))

    def copy_blocks_in(self, blocks: list[torch.Tensor]) -> None:
        """Fill the first positions from cached blocks ``[layers, 2, kv_heads, n, head_dim]``."""
        start = 0
        for block in blocks:
            end = start + block.shape[3]
            self.data[:, :, :, start:end].copy_(block)
            start = end
        self.filled = start


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
        self.reserves: list[int] = []  # positions each row may reach (room kept for it)

    @property
    def rows(self) -> int:
        return len(self.lengths)

    def fit(self, positions: int) -> None:
        """Size the buffers to ``positions`` rounded up to ``STEP``: grow when needed, shrink
        when less than half is used (decode attention reads the whole capacity, because a
        full-capacity slice of the first rows is contiguous and a contiguous batched matmul is
        several times faster here than attention over a strided slice).

        Buffers are allocated empty and only the rows in use are written (each row's unused
        tail zeroed, so masked positions never hold NaN), so resident memory follows the rows
        actually decoding, not ``max_rows``."""
        positions = max([positions, *self.reserves])
        capacity = max(STEP, -(-positions // STEP) * STEP)
        if self.capacity and positions <= self.capacity and capacity > self.capacity // 2:
            return
        if capacity == self.capacity:
            return
        shape = (self.max_rows, self.kv_heads, capacity, self.head_dim)
        old_keys, old_values, keep = self.keys, self.values, min(capacity, self.capacity)
        self.keys, self.values = [], []  # the old buffers go layer by layer as we copy
        rows = self.rows
        for index in range(len(old_keys) if keep else 0):
            for new_list, old_list in ((self.keys, old_keys), (self.values, old_values)):
                new = torch.empty(shape, dtype=self.dtype)
                new[:rows, :, :keep].copy_(old_list[index][:rows, :, :keep])
                new[:rows, :, keep:].zero_()
                new_list.append(new)
                old_list[index] = new  # drop the old layer now
        if not keep:
            self.keys = [torch.empty(shape, dtype=self.dtype) for _ in range(self.layers)]
            self.values = [torch.empty(shape, dtype=self.dtype) for _ in range(self.layers)]
        self.capacity = capacity

    def add_row(self, prompt: PromptKV, reserve: int = 0) -> int:
        """Copy a fully prefilled prompt into the next row; return the row index.

        ``reserve`` is how many positions the row may reach (prompt plus new tokens): making
        room for it now avoids growing (copying every row) mid-generation."""
        row = self.rows
        if row >= self.max_rows:
            raise RuntimeError("no free row in the batch")
        length = prompt.filled
        self.reserves.append(max(reserve, length + 1))
        self.fit(max([length + 1, *(n + 1 for n in self.lengths)]))
        for mine, theirs in zip(self.keys + self.values, prompt.keys + prompt.values, strict=True):
            mine[row, :, :length].copy_(theirs[:, :length])
            mine[row, :, length:].zero_()
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
            self.reserves[row] = self.reserves[last]
        self.lengths.pop()
        self.reserves.pop()

    def clear(self) -> None:
        self.lengths.clear()
        self.reserves.clear()
        self.keys, self.values, self.capacity = [], [], 0
