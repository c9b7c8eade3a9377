"""Choosing the next token of every row from one step's logits.

Greedy rows are decided by one batched ``argmax``; only rows that ask for a repetition penalty,
temperature/top-p sampling or a suppressed end-of-sequence touch their own logits. The
repetition penalty follows transformers' ``RepetitionPenaltyLogitsProcessor`` (prompt and
generated tokens both count).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True, slots=True)
class RowSampling:
    """How one row picks its next token; ``seen`` are the ids the penalty applies to."""

    temperature: float = 0.0
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    seen: Collection[int] = ()
    banned: Sequence[int] = ()

    @property
    def is_plain_greedy(self) -> bool:
        return self.temperature <= 0 and self.repetition_penalty == 1.0 and not self.banned


def _penalize(scores: torch.Tensor, seen: Collection[int], penalty: float) -> None:
    if not seen:
        return
    ids = torch.tensor(sorted(seen), dtype=torch.long)
    picked = scores[ids]
    scores[ids] = torch.where(picked < 0, picked * penalty, picked / penalty)


def _sample(
    scores: torch.Tensor, temperature: float, top_p: float, generator: torch.Generator | None
) -> int:
    probs = torch.softmax(scores / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        keep = torch.cumsum(sorted_probs, dim=-1) - sorted_probs < top_p
        sorted_probs = sorted_probs * keep
        choice = torch.multinomial(sorted_probs, 1, generator=generator)
        return int(order[choice])
    return int(torch.multinomial(probs, 1, generator=generator))


def pick_tokens(
    logits: torch.Tensor,
    rows: Sequence[RowSampling],
    generator: torch.Generator | None = None,
) -> list[int]:
    """The next token id of each row of ``logits`` (``[rows, vocab]``, float32, modified)."""
    if logits.shape[0] != len(rows):
        raise ValueError("one sampling setting per logits row is required")
    for index, row in enumerate(rows):
        if row.is_plain_greedy:
            continue
        scores = logits[index]
        if row.repetition_penalty != 1.0:
            _penalize(scores, row.seen, row.repetition_penalty)
        if row.banned:
            scores[list(row.banned)] = float("-inf")
    chosen = logits.argmax(dim=-1).tolist() if len(rows) else []
    for index, row in enumerate(rows):
        if row.temperature > 0:
            chosen[index] = _sample(logits[index], row.temperature, row.top_p, generator)
    return chosen
