"""DenseRows: best cosine per entry, stable across edits and compaction."""

from __future__ import annotations

import numpy as np
import pytest

from bot.knowledge.ranking import dense
from bot.knowledge.ranking.dense import DenseRows


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_score_is_the_best_row_of_each_slot() -> None:
    rows = DenseRows(2)
    rows.set(0, unit(np.array([[1.0, 0.0], [0.0, 1.0]])))
    rows.set(1, unit(np.array([[1.0, 1.0]])))
    scores = rows.scores(np.array([0.0, 1.0], dtype=np.float32), size=3)
    np.testing.assert_allclose(scores, [1.0, np.sqrt(0.5), -1.0], atol=1e-6)


def test_many_edits_compact_without_changing_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dense, "COMPACT_AFTER", 4)
    generator = np.random.default_rng(0)
    rows = DenseRows(8)
    latest: dict[int, np.ndarray] = {}
    for step in range(60):
        slot = step % 5
        latest[slot] = unit(generator.normal(size=(2, 8)))
        rows.set(slot, latest[slot])
    rows.clear(4)
    assert rows.row_count < 60 * 2  # compaction happened
    query = unit(generator.normal(size=(1, 8)))[0]
    expected = [float((latest[slot] @ query).max()) for slot in range(4)] + [-1.0]
    np.testing.assert_allclose(rows.scores(query, size=5), expected, atol=1e-6)
