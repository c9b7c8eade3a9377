"""An incremental BM25 index over FAQ entries.

bm25s is fast to query but builds its matrix in one go, so every admin edit would rebuild the
whole index. FAQ bases are small (thousands of short entries), so a plain inverted index with
numpy postings is as fast to query and lets ``upsert``/``remove`` touch only one entry's terms.
IDF and the average length are read at query time, so they are always current.

Two fields are indexed BM25F-style: the question with its alternative phrasings (full weight),
and the answer (a lower weight): customers phrase questions like the question, but the answer
holds the words that disambiguate ("em dash" appears only in some answers).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from bot.knowledge.entries import FaqDocument
from bot.knowledge.text.tokens import index_terms

K1 = 1.2
B = 0.75
ANSWER_FIELD_WEIGHT = 0.3


def document_terms(document: FaqDocument) -> Counter[str]:
    """Weighted term frequencies of one entry (question + variants + tags, then answer)."""
    weights: Counter[str] = Counter()
    for text in (document.question, *document.variants, " ".join(document.tags)):
        weights.update(index_terms(text))
    if ANSWER_FIELD_WEIGHT:
        for term, count in Counter(index_terms(document.answer)).items():
            weights[term] += ANSWER_FIELD_WEIGHT * count
    return weights


class LexicalIndex:
    """BM25 over slots 0..n-1; the caller maps slots to FAQ entries."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[int, float]] = {}
        self._arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._slot_terms: dict[int, Counter[str]] = {}
        self._lengths = np.zeros(64, dtype=np.float32)
        self._total_length = 0.0

    def __len__(self) -> int:
        return len(self._slot_terms)

    def set(self, slot: int, document: FaqDocument) -> None:
        """Index ``document`` at ``slot``, replacing whatever was there."""
        self.clear(slot)
        terms = document_terms(document)
        self._slot_terms[slot] = terms
        if slot >= len(self._lengths):
            grown = np.zeros(max(slot + 1, 2 * len(self._lengths)), dtype=np.float32)
            grown[: len(self._lengths)] = self._lengths
            self._lengths = grown
        length = float(sum(terms.values()))
        self._lengths[slot] = length
        self._total_length += length
        for term, weight in terms.items():
            self._postings.setdefault(term, {})[slot] = weight
            self._arrays.pop(term, None)

    def clear(self, slot: int) -> None:
        """Forget the entry at ``slot`` (no-op when empty)."""
        terms = self._slot_terms.pop(slot, None)
        if terms is None:
            return
        self._total_length -= float(self._lengths[slot])
        self._lengths[slot] = 0.0
        for term in terms:
            posting = self._postings.get(term)
            if posting is None:
                continue
            posting.pop(slot, None)
            if not posting:
                del self._postings[term]
            self._arrays.pop(term, None)

    def _posting_arrays(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        arrays = self._arrays.get(term)
        if arrays is None:
            posting = self._postings.get(term)
            if not posting:
                return None
            slots = np.fromiter(posting.keys(), dtype=np.int64, count=len(posting))
            weights = np.fromiter(posting.values(), dtype=np.float32, count=len(posting))
            arrays = (slots, weights)
            self._arrays[term] = arrays
        return arrays

    def scores(self, query_terms: Sequence[str], size: int) -> np.ndarray:
        """BM25 score of every slot (``size`` > highest slot used); zero where nothing matched."""
        scores = np.zeros(size, dtype=np.float32)
        count = len(self._slot_terms)
        if not count:
            return scores
        average_length = max(self._total_length / count, 1e-6)
        for term in dict.fromkeys(query_terms):
            arrays = self._posting_arrays(term)
            if arrays is None:
                continue
            slots, weights = arrays
            frequency = len(slots)
            idf = math.log(1.0 + (count - frequency + 0.5) / (frequency + 0.5))
            norm = K1 * (1.0 - B + B * self._lengths[slots] / average_length)
            contribution = idf * weights * (K1 + 1.0) / (weights + norm)
            scores[slots] += contribution  # a term lists each slot once
        return scores

    def idf_mass(self, query_terms: Sequence[str]) -> float:
        """Sum of the IDFs of the distinct query terms the index knows: a per-query scale."""
        count = len(self._slot_terms)
        total = 0.0
        for term in dict.fromkeys(query_terms):
            posting = self._postings.get(term)
            if posting:
                frequency = len(posting)
                total += math.log(1.0 + (count - frequency + 0.5) / (frequency + 0.5))
        return total

    def unmatched_share(self, query_terms: Sequence[str], slot: int) -> float:
        """IDF-weighted share of the query's distinct terms that the entry at ``slot`` lacks.

        A term no entry has counts with the highest IDF: "is the blue jacket waterproof?" shares
        only "blue" with no entry and leaves "jacket" and "waterproof" unmatched, which a score
        scaled by the *known* terms alone cannot see. Used as a confidence feature.
        """
        distinct = list(dict.fromkeys(query_terms))
        if not distinct:
            return 0.0
        count = len(self._slot_terms)
        entry = self._slot_terms.get(slot, {})
        total = unmatched = 0.0
        for term in distinct:
            frequency = len(self._postings.get(term, ()))
            idf = math.log(1.0 + (count - frequency + 0.5) / (frequency + 0.5))
            total += idf
            if term not in entry:
                unmatched += idf
        return unmatched / total if total > 0 else 0.0
