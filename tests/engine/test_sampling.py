"""pick_tokens: greedy, repetition penalty, banned ids, temperature and top-p."""

from __future__ import annotations

import torch

from bot.engine.sampling import RowSampling, pick_tokens


def test_greedy_rows_take_the_argmax() -> None:
    logits = torch.tensor([[0.0, 3.0, 1.0], [5.0, 0.0, 1.0]])
    assert pick_tokens(logits, [RowSampling(), RowSampling()]) == [1, 0]


def test_repetition_penalty_and_banned_ids_change_only_their_row() -> None:
    logits = torch.tensor([[0.0, 3.0, 2.0], [0.0, 3.0, 2.0], [0.0, 3.0, 2.0]])
    rows = [
        RowSampling(repetition_penalty=2.0, seen={1}),  # 3.0 -> 1.5 < 2.0
        RowSampling(banned=(1,)),
        RowSampling(),
    ]
    assert pick_tokens(logits, rows) == [2, 2, 1]


def test_negative_scores_are_multiplied_by_the_penalty() -> None:
    logits = torch.tensor([[-1.0, -1.5]])
    assert pick_tokens(logits, [RowSampling(repetition_penalty=2.0, seen={0})]) == [1]


def test_top_p_keeps_only_the_nucleus() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.log(torch.tensor([[0.9, 0.05, 0.05]]))
    rows = [RowSampling(temperature=1.0, top_p=0.5)]
    picks = {pick_tokens(logits.clone(), rows, generator)[0] for _ in range(50)}
    assert picks == {0}


def test_temperature_sampling_explores() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.zeros(1, 4)
    rows = [RowSampling(temperature=1.0)]
    picks = {pick_tokens(logits.clone(), rows, generator)[0] for _ in range(100)}
    assert picks == {0, 1, 2, 3}
