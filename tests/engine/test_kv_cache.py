"""The decoding batch's KV buffers: room reserved up front, unused positions zeroed (never NaN),
rows kept compact when one leaves."""

from __future__ import annotations

import torch

from bot.engine.kv_cache import STEP, BatchKV, PromptKV


def prompt(length: int, value: float, layers: int = 2) -> PromptKV:
    return PromptKV(torch.full((layers, 2, 1, length, 4), value), filled=length)


def test_a_row_reserves_its_room_and_its_tail_is_zero() -> None:
    batch = BatchKV(layers=2, max_rows=4, kv_heads=1, head_dim=4, dtype=torch.float32)
    batch.add_row(prompt(10, 1.0), reserve=10 + 150)
    capacity = batch.capacity
    assert capacity >= 160 and capacity % STEP == 0
    assert torch.all(batch.keys[0][0, :, :10] == 1.0) and torch.all(batch.keys[0][0, :, 10:] == 0)
    batch.add_row(prompt(30, 2.0), reserve=40)
    batch.fit(max(batch.lengths) + 1)  # a decode step within the reserved room: no regrowth
    assert batch.capacity == capacity
    assert torch.all(batch.values[1][1, :, 30:] == 0) and not torch.isnan(batch.keys[1][:2]).any()


def test_growing_keeps_every_row_and_removing_keeps_rows_compact() -> None:
    batch = BatchKV(layers=1, max_rows=3, kv_heads=1, head_dim=4, dtype=torch.float32)
    for length, value in ((5, 1.0), (7, 2.0), (9, 3.0)):
        batch.add_row(prompt(length, value, layers=1))
    batch.fit(STEP * 3)
    assert batch.capacity == STEP * 3
    assert torch.all(batch.keys[0][2, :, :9] == 3.0) and torch.all(batch.keys[0][2, :, 9:] == 0)
    batch.remove_row(0)
    assert batch.lengths == [9, 7]
    assert torch.all(batch.keys[0][0, :, :9] == 3.0) and torch.all(batch.keys[0][1, :, :7] == 2.0)
