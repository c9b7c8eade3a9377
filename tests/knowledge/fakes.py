"""A tiny deterministic encoder for tests of index mechanics (no model needed)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from bot.knowledge.text.tokens import tokenize


class HashingEncoder:
    """A deterministic bag-of-terms encoder that counts what it was asked to encode."""

    dimension = 64
    languages: frozenset[str] | None = None  # all

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            for term in tokenize(text):
                row[zlib.crc32(term.encode()) % self.dimension] += 1.0
            row /= max(float(np.linalg.norm(row)), 1e-9)
        return rows
