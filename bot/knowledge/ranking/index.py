"""FaqIndex: hybrid (BM25 + sentence-embedding) retrieval over the FAQ, editable while serving.

Entries occupy slots; the lexical and dense rankers score every slot in one vectorised pass
(about 2 ms for 10,000 entries; encoding the query costs more, so recent questions and the
entries' own wordings skip it), the scores are fused and calibrated (see ``scoring``), and the
best k come back as ``FaqHit``s; uncertain ones get a second look (``second_looks``).
``upsert``/``remove`` touch one entry, live at the next search; ``rebuild`` encodes only new
texts. A lock guards searches and edits across threads (query encoding happens outside it).
One vector space per routed encoder (MiniLM: English, e5: the rest): entries and questions
meet in their language's space only (others score -1). An exact wording ranks first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

from bot.knowledge.encoders.base import TextEncoder
from bot.knowledge.encoders.routing import document_encoder, document_rows, encoder_parts, row_keys
from bot.knowledge.entries import FaqDocument, FaqHit, FaqId, primary_language
from bot.knowledge.ranking.dense import DenseRows
from bot.knowledge.ranking.lexical import LexicalIndex
from bot.knowledge.ranking.phrasings import EXACT_BONUS, Phrasings
from bot.knowledge.ranking.query_cache import LruCache
from bot.knowledge.ranking.rerank import RERANK_WEIGHTS, SKIP_AT
from bot.knowledge.ranking.scoring import (
    DEFAULT_WEIGHTS,
    LEXICAL_ONLY_WEIGHTS,
    FusionWeights,
    confidence,
    fuse,
    scaled_lexical,
    weights_of,
)
from bot.knowledge.ranking.second_looks import SecondLooks
from bot.knowledge.text.language import detect_language
from bot.knowledge.text.tokens import index_terms, tokenize

VectorKey = tuple[int, str]  # (vector space, text)


class FaqIndex:
    """Top-k FAQ entries for a customer's question, with calibrated confidence."""

    def __init__(self, encoder: TextEncoder | None, weights: FusionWeights | None = None) -> None:
        self.encoder = encoder
        self.weights = weights or (DEFAULT_WEIGHTS if encoder is not None else LEXICAL_ONLY_WEIGHTS)
        self.lexical_weights = LEXICAL_ONLY_WEIGHTS
        self._custom_weights = weights is not None
        self._lock = threading.RLock()
        self._documents: list[FaqDocument | None] = []
        self._slot_of: dict[FaqId, int] = {}
        self._free_slots: list[int] = []
        self._languages: list[str] = []
        self._alive = np.zeros(0, dtype=bool)
        self._language_ids = np.zeros(0, dtype=np.int32)
        self._language_numbers: dict[str, int] = {}
        self._lexical = LexicalIndex()
        self._phrasings = Phrasings()
        self._dense: list[DenseRows | None] = [None for _ in encoder_parts(encoder)]
        self._vectors: dict[VectorKey, np.ndarray] = {}
        self._query_cache: LruCache[VectorKey, np.ndarray] = LruCache()
        self._looks = SecondLooks(encoder, self.space_for)  # mpnet and e5 on uncertain hits

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, document_id: object) -> bool:
        return document_id in self._slot_of

    def documents(self) -> list[FaqDocument]:
        """Every indexed entry, in slot order."""
        with self._lock:
            return [doc for doc in self._documents if doc is not None]

    def space_for(self, language: str) -> int | None:
        """The vector space (encoder number) serving ``language``, or None: lexical only."""
        for number, part in enumerate(encoder_parts(self.encoder)):
            languages = getattr(part, "languages", None)
            if languages is None or primary_language(language) in languages:
                return number
        return None

    def weights_of_space(self, space: int | None) -> FusionWeights:
        """Fusion and confidence weights of a space (calibrated per encoder family)."""
        if space is None or self._custom_weights:
            return self.lexical_weights if space is None else self.weights
        return weights_of(encoder_parts(self.encoder)[space])

    def rebuild(self, documents: Iterable[FaqDocument]) -> None:
        """Replace the whole index with ``documents`` (later duplicates of an id win)."""
        unique = list({doc.id: doc for doc in documents}.values())
        vectors = self._encode_documents(unique)
        lexical = LexicalIndex()
        phrasings = Phrasings()
        dense: list[DenseRows | None] = [None for _ in self._dense]
        keep: set[tuple[int, str]] = set()
        parts = encoder_parts(self.encoder)
        for slot, doc in enumerate(unique):
            lexical.set(slot, doc)
            phrasings.set(slot, doc)
            space, rows = vectors[slot]
            if space is not None and rows is not None:
                dense[space] = dense[space] or DenseRows(rows.shape[1])
                dense[space].set(slot, rows)  # type: ignore[union-attr]
                keep.update(row_keys(parts[space], space, doc))
        self._looks.rebuild(unique)
        with self._lock:
            self._documents = list(unique)
            self._slot_of = {doc.id: slot for slot, doc in enumerate(unique)}
            self._free_slots = []
            self._languages = [primary_language(doc.language) for doc in unique]
            self._lexical = lexical
            self._phrasings = phrasings
            self._dense = dense
            self._alive = np.ones(len(unique), dtype=bool)
            self._language_ids = np.array(
                [self._language_id(code) for code in self._languages], dtype=np.int32
            )
            self._vectors = {key: vec for key, vec in self._vectors.items() if key in keep}
        retain = getattr(self.encoder, "retain", None)
        if callable(retain):  # an on-disk vector cache drops texts no entry has any more
            retain({text for _, text in keep})

    def upsert(self, document: FaqDocument) -> None:
        """Add or replace one entry; the next search sees it."""
        self.upsert_many([document])

    def upsert_many(self, documents: list[FaqDocument]) -> None:
        """Add or replace entries, their new texts encoded in one batch per model (a help
        centre's passages come by the hundred; one call each was ~20x slower)."""
        encoded = self._encode_documents(documents)
        self._looks.prefetch(documents)
        for document, (space, vectors) in zip(documents, encoded, strict=True):
            self._set(document, space, vectors)

    def _set(self, document: FaqDocument, space: int | None, vectors: np.ndarray | None) -> None:
        with self._lock:
            slot = self._slot_of.get(document.id)
            if slot is None:
                slot = self._free_slots.pop() if self._free_slots else len(self._documents)
                if slot == len(self._documents):
                    self._documents.append(None)
                    self._languages.append("")
                    self._alive = np.append(self._alive, False)
                    self._language_ids = np.append(self._language_ids, np.int32(-1))
                self._slot_of[document.id] = slot
            self._documents[slot] = document
            self._languages[slot] = primary_language(document.language)
            self._alive[slot] = True
            self._language_ids[slot] = self._language_id(self._languages[slot])
            self._lexical.set(slot, document)
            self._phrasings.set(slot, document)
            for number, rows in enumerate(self._dense):
                if rows is not None and number != space:
                    rows.clear(slot)  # the entry's language moved to another space
            if space is not None and vectors is not None:
                if self._dense[space] is None:
                    self._dense[space] = DenseRows(vectors.shape[1])
                self._dense[space].set(slot, vectors)  # type: ignore[union-attr]
        self._looks.set(slot, document)

    def remove(self, document_id: FaqId) -> None:
        """Drop one entry (no-op for an unknown id); the next search no longer returns it."""
        with self._lock:
            slot = self._slot_of.pop(document_id, None)
            if slot is None:
                return
            self._documents[slot] = None
            self._languages[slot] = ""
            self._alive[slot] = False
            self._lexical.clear(slot)
            self._phrasings.clear(slot)
            for rows in self._dense:
                if rows is not None:
                    rows.clear(slot)
            self._free_slots.append(slot)
            self._looks.set(slot, None)

    def _language_id(self, code: str) -> int:
        return self._language_numbers.setdefault(code, len(self._language_numbers))

    def _encode_documents(
        self, documents: list[FaqDocument]
    ) -> list[tuple[int | None, np.ndarray | None]]:
        """(space, embedding rows) per document, encoding only texts not seen before."""
        routed = self.encoder is not None  # (not truthiness: a vector cache is sized)
        spaces = [self.space_for(doc.language) if routed else None for doc in documents]
        # read in place, not copied: a copy per upsert made loading 20,000 passages quadratic
        rows, new = document_rows(encoder_parts(self.encoder), spaces, documents, self._vectors)
        with self._lock:
            self._vectors.update(new)
        return list(zip(spaces, rows, strict=True))

    def query_vector(self, query: str) -> np.ndarray | None:
        """The query's embedding in its language's space: from an LRU cache, or an entry's own
        vector when it is worded as that entry (if entries and questions embed alike)."""
        space = self.space_for(detect_language(query)) if self.encoder is not None else None
        if space is None:
            return None
        part = encoder_parts(self.encoder)[space]
        key = (space, " ".join(query.split()))
        with self._lock:
            cached = self._query_cache.get(key)
            if cached is not None:
                return cached
            symmetric = document_encoder(part) is part
            known = self._vectors.get(key) if symmetric else None
            if known is not None:
                return known
        vector = part.encode([key[1]])[0]
        with self._lock:
            self._query_cache.put(key, vector)
        return vector

    def uses_dense_for(self, query: str) -> bool:
        """True when an encoder understands the query's language (see TextEncoder)."""
        return self.encoder is not None and self.space_for(detect_language(query)) is not None

    def _fused_scores(
        self, query: str, language: str | None
    ) -> tuple[np.ndarray, FusionWeights, list[str], np.ndarray | None]:
        terms, bm25_terms = tokenize(query), index_terms(query)  # topic words: unmatched share
        space = self.space_for(detect_language(query)) if self.encoder is not None else None
        vector = self.query_vector(query) if space is not None else None
        weights = self.weights_of_space(space)
        with self._lock:
            size = len(self._documents)
            lexical = scaled_lexical(
                self._lexical.scores(bm25_terms, size), self._lexical.idf_mass(bm25_terms)
            )
            rows = self._dense[space] if space is not None else None
            dense = rows.scores(vector, size) if rows is not None and vector is not None else None
            fused = fuse(dense, lexical, weights if dense is not None else self.lexical_weights)
            if dense is None:
                weights = self.lexical_weights
            exact = self._phrasings.slots(query)
            if exact:
                fused[exact] += EXACT_BONUS
            eligible = self._alive
            if dense is None:
                eligible = eligible & (lexical > 0)
            if language:
                wanted = self._language_numbers.get(primary_language(language), -2)
                eligible = eligible & (self._language_ids == wanted)
            return np.where(eligible, fused, -np.inf).astype(np.float32), weights, terms, dense

    def unmatched_share(self, query: str, document_id: FaqId) -> float:
        """Share of the query's content terms (IDF-weighted) the entry lacks (1.0: unknown id)."""
        with self._lock:
            slot = self._slot_of.get(document_id)
            return 1.0 if slot is None else self._lexical.unmatched_share(tokenize(query), slot)

    def search(self, query: str, k: int = 5, language: str | None = None) -> list[FaqHit]:
        """The best ``k`` entries for ``query`` (only ``language`` entries when given)."""
        if k <= 0 or not query.strip():
            return []
        fused, weights, terms, dense = self._fused_scores(query, language)
        hits, top = self._hits(fused, weights, terms, k, dense)
        spoken = detect_language(query)
        unsure = bool(hits) and hits[0].confidence < SKIP_AT
        if unsure and dense is not None and self._looks.reranks(spoken):  # mpnet looks again
            looked = self._looks.reranker.rescored(query, fused, dense)  # scores, mpnet's cosines
            if looked is not None:
                gaps = self._looks.second.gaps(query, np.isfinite(fused))
                return self._hits(looked[0], RERANK_WEIGHTS, terms, k, dense, gaps, looked[1])[0]
        if hits and self._looks.reviews(spoken):
            self._looks.second.review(query, hits, top, np.isfinite(fused))
        return hits

    def _hits(
        self, fused: np.ndarray, weights: FusionWeights, terms: list[str], k: int,
        dense: np.ndarray | None, gaps: np.ndarray | None = None, looked: np.ndarray | None = None,
    ) -> tuple[list[FaqHit], int]:  # fmt: skip
        """The best ``k`` finite slots of ``fused`` as hits, and the best slot (-1: none)."""
        with self._lock:
            candidates = np.flatnonzero(np.isfinite(fused))
            if not len(candidates):
                return [], -1
            take = min(len(candidates), max(k, 2))
            order = candidates[np.argpartition(-fused[candidates], take - 1)[:take]]
            order = order[np.argsort(-fused[order], kind="stable")]
            best = float(fused[order[0]])
            lone = 0.0 if dense is None else best - 1.0  # lexically, the others score 0
            runner_up = float(fused[order[1]]) if len(order) > 1 else lone
            hits: list[FaqHit] = []
            for rank, slot in enumerate(order[:k]):
                score = float(fused[slot])
                margin = score - (runner_up if rank == 0 else best)
                unmatched = self._lexical.unmatched_share(terms, int(slot))
                cosine = float(dense[slot]) if dense is not None else None
                document = self._documents[slot]
                assert document is not None
                gap = float(gaps[slot]) if gaps is not None else 0.0
                last = float(looked[slot]) if looked is not None else None  # mpnet's cosine
                value = confidence(score, margin, weights, unmatched, cosine, gap, last)
                hits.append(FaqHit(document, score, value, weights is RERANK_WEIGHTS))
        return hits, int(order[0])
