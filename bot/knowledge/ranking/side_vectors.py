"""Vectors of FAQ entries from an encoder that does not rank them first.

Two models look again at a hit the first ranking is unsure of: e5's second opinion
(``second_opinion``) and the mpnet reranker (``rerank``). Each keeps its own vectors of the
entries it reviews, in the owning ``FaqIndex``'s slots, and of recent questions. This is that
store: texts already encoded are never encoded again, so an admin's edit costs only its new
texts, and a question asked again costs no encoding. ``SideModel`` is what both share: finding
their model among the index's encoders and keeping its vectors in step with the entries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from bot.knowledge.encoders.base import TextEncoder
from bot.knowledge.encoders.routing import document_encoder, encoder_parts, of_family
from bot.knowledge.entries import FaqDocument, embedded_texts
from bot.knowledge.ranking.dense import DenseRows

QUERY_CACHE_SIZE = 1024


class SideVectors:
    """Rows of ``encoder`` vectors per slot, and an LRU cache of its question vectors."""

    def __init__(self, encoder: TextEncoder) -> None:
        self.encoder = encoder
        self._lock = threading.Lock()
        self._rows: DenseRows | None = None
        self._vectors: dict[str, np.ndarray] = {}
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    def rebuild(self, entries: list[tuple[int, FaqDocument]]) -> None:
        """Vectors for ``entries`` (slot, document), replacing all others."""
        vectors = self._encode([doc for _, doc in entries])
        rows = None
        for (slot, _), matrix in zip(entries, vectors, strict=True):
            rows = rows or DenseRows(matrix.shape[1])
            rows.set(slot, matrix)
        with self._lock:
            self._rows = rows
            keep = {text for _, doc in entries for text in embedded_texts(doc)}
            self._vectors = {text: v for text, v in self._vectors.items() if text in keep}

    def set(self, slot: int, document: FaqDocument | None) -> None:
        """The vectors of one entry (None: the slot has none here any more)."""
        if document is None:
            with self._lock:
                if self._rows is not None:
                    self._rows.clear(slot)
            return
        matrix = self._encode([document])[0]
        with self._lock:
            self._rows = self._rows or DenseRows(matrix.shape[1])
            self._rows.set(slot, matrix)

    def scores(self, query: str, size: int) -> np.ndarray | None:
        """Best cosine of the question to each slot's texts (-1: none), or None when empty."""
        with self._lock:
            rows = self._rows
        if rows is None:
            return None
        return rows.scores(self.query_vector(query), size)

    def query_vector(self, query: str) -> np.ndarray:
        key = " ".join(query.split())
        with self._lock:
            cached = self._queries.get(key)
            if cached is not None:
                self._queries.move_to_end(key)
                return cached
        vector = self.encoder.encode([key])[0]
        with self._lock:
            self._queries[key] = vector
            while len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector

    def encode_new(self, documents: list[FaqDocument]) -> None:
        """Encode the embedded texts of ``documents`` not encoded yet, in one batch."""
        texts = [text for doc in documents for text in embedded_texts(doc)]
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = document_encoder(self.encoder).encode(missing)
            with self._lock:
                self._vectors.update(zip(missing, fresh, strict=True))

    def _encode(self, documents: list[FaqDocument]) -> list[np.ndarray]:
        """Passage vectors of each document's embedded texts, encoding only new texts."""
        self.encode_new(documents)  # (looked up in place: no copy of every entry's vectors)
        return [np.vstack([self._vectors[t] for t in embedded_texts(doc)]) for doc in documents]


class SideModel:
    """A model of ``family`` beside the encoders that rank, with its vectors of the entries it
    looks at. Inactive (every method a no-op) unless the index's encoder has such a part and
    another one that ranks."""

    def __init__(self, encoder: TextEncoder | None, family: str) -> None:
        parts = encoder_parts(encoder)
        mine = [part for part in parts if of_family(part, family)]
        self.model: TextEncoder | None = mine[0] if mine else None
        self._side = SideVectors(mine[0]) if mine and len(parts) > 1 else None
        self._served = {id(part) for part in parts if not of_family(part, family)}

    @property
    def active(self) -> bool:
        return self._side is not None

    def serves(self, part: TextEncoder | None) -> bool:
        """True when ``part`` is one of the ranking encoders this model looks beside."""
        return self.active and part is not None and id(part) in self._served

    def rebuild(self, entries: list[tuple[int, FaqDocument]]) -> None:
        """Vectors for ``entries`` (slot, document), replacing all others."""
        if self._side is not None:
            self._side.rebuild(entries)

    def set(self, slot: int, document: FaqDocument | None) -> None:
        """The vectors of one entry (None: the slot has none here any more)."""
        if self._side is not None:
            self._side.set(slot, document)

    def prefetch(self, documents: list[FaqDocument]) -> None:
        """Encode the new texts of ``documents`` together, before each is ``set``."""
        if self._side is not None and documents:
            self._side.encode_new(documents)
