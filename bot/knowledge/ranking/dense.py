"""Vector rows of FAQ entries for the dense ranker, updatable one entry at a time.

Each entry contributes several rows (its question, question + answer, each alternative
phrasing); an entry's dense score is the best cosine over its rows, so a customer's wording only
has to be close to one of them (a row may be shorter than unit length to count for less: e5's
"query: " rows, see ``encoders.QUERY_ROW_SCALE``). Rows live in one growing float32 matrix;
replacing or removing an entry retires its rows (owner -1, zero vector); once they are many, the
next edit compacts.
"""

from __future__ import annotations

import numpy as np

RETIRED = -1
COMPACT_AFTER = 1024  # retired rows tolerated before an edit compacts the matrix


class DenseRows:
    """A matrix of vectors (unit length or shorter), each row owned by one slot."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._matrix = np.zeros((256, dimension), dtype=np.float32)
        self._owners = np.full(256, RETIRED, dtype=np.int64)
        self._count = 0
        self._rows_of: dict[int, np.ndarray] = {}
        self._retired = 0

    def set(self, slot: int, vectors: np.ndarray) -> None:
        """Make ``vectors`` (n x dimension, unit length) the rows of ``slot``."""
        self.clear(slot)
        if self._retired > max(COMPACT_AFTER, self._count // 2):
            self.compact()
        count = len(vectors)
        needed = self._count + count
        if needed > len(self._matrix):
            capacity = max(needed, 2 * len(self._matrix))
            matrix = np.zeros((capacity, self.dimension), dtype=np.float32)
            matrix[: self._count] = self._matrix[: self._count]
            owners = np.full(capacity, RETIRED, dtype=np.int64)
            owners[: self._count] = self._owners[: self._count]
            self._matrix, self._owners = matrix, owners
        rows = np.arange(self._count, needed)
        self._matrix[rows] = vectors
        self._owners[rows] = slot
        self._rows_of[slot] = rows
        self._count = needed

    def clear(self, slot: int) -> None:
        """Retire the rows of ``slot`` (no-op when it has none)."""
        rows = self._rows_of.pop(slot, None)
        if rows is None:
            return
        self._matrix[rows] = 0.0
        self._owners[rows] = RETIRED
        self._retired += len(rows)

    def compact(self) -> None:
        """Drop retired rows (they cost a dot product per search until then)."""
        live = np.flatnonzero(self._owners[: self._count] != RETIRED)
        matrix = np.zeros((max(256, 2 * len(live)), self.dimension), dtype=np.float32)
        owners = np.full(len(matrix), RETIRED, dtype=np.int64)
        matrix[: len(live)] = self._matrix[live]
        owners[: len(live)] = self._owners[live]
        self._matrix, self._owners = matrix, owners
        self._count, self._retired = len(live), 0
        rows_of: dict[int, list[int]] = {}
        for row, owner in enumerate(owners[: len(live)]):
            rows_of.setdefault(int(owner), []).append(row)
        self._rows_of = {slot: np.array(rows) for slot, rows in rows_of.items()}

    def scores(self, query: np.ndarray, size: int) -> np.ndarray:
        """Best cosine of ``query`` against each slot's rows; -1 for slots without rows."""
        best = np.full(size + 1, -1.0, dtype=np.float32)
        if self._count:
            # einsum, not @: OpenBLAS would spread this matrix-vector product over threads that
            # then spin and starve the query encoder (measured 16 ms vs 1.6 ms at 10k entries).
            cosines = np.einsum("ij,j->i", self._matrix[: self._count], query)
            owners = self._owners[: self._count]
            np.maximum.at(best, np.where(owners == RETIRED, size, owners), cosines)
        return best[:size]

    def vectors_of(self, slot: int) -> np.ndarray:
        """The rows of ``slot`` (a copy)."""
        rows = self._rows_of.get(slot)
        if rows is None:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._matrix[rows].copy()

    @property
    def row_count(self) -> int:
        """Rows in use, retired ones included."""
        return self._count

    @property
    def retired_count(self) -> int:
        """Rows retired since the last compaction."""
        return self._retired
