"""FaqIndex: hybrid (BM25 + sentence-embedding) retrieval over the FAQ, editable while serving.

Entries occupy slots; the lexical and dense rankers score every slot in one vectorised pass
(about 2 ms for 10,000 entries once the query is encoded; encoding it is the larger cost, about
6-10 ms with MiniLM here, so recent questions and the entries' own wordings skip it), the
scores are fused and calibrated (see ``scoring``), and the best k come back as ``FaqHit``s.
``upsert`` and ``remove`` touch one entry, so an admin's edit is visible to the very next
search without a rebuild. Embeddings are remembered by text, so ``rebuild`` after a few edits
only encodes what changed. A lock makes searches and edits from different threads safe; query
encoding happens outside it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

from bot.knowledge.dense import DenseRows
from bot.knowledge.documents import FaqDocument, FaqHit, FaqId
from bot.knowledge.embedding import TextEncoder
from bot.knowledge.language import detect_language
from bot.knowledge.lexical import LexicalIndex
from bot.knowledge.scoring import (
    DEFAULT_WEIGHTS,
    LEXICAL_ONLY_WEIGHTS,
    FusionWeights,
    confidence,
    fuse,
    scaled_lexical,
)
from bot.knowledge.tokens import tokenize

QUERY_CACHE_SIZE = 2048


def primary_language(code: str) -> str:
    """ "zh-Hans" -> "zh", "EN_us" -> "en"."""
    return code.strip().lower().replace("_", "-").split("-")[0]


def embedded_texts(document: FaqDocument) -> list[str]:
    """The texts whose embeddings represent ``document`` (its score is the best of them)."""
    texts = [document.question, f"{document.question}\n{document.answer}", *document.variants]
    return list(dict.fromkeys(text for text in texts if text.strip()))


class FaqIndex:
    """Top-k FAQ entries for a customer's question, with calibrated confidence."""

    def __init__(self, encoder: TextEncoder | None, weights: FusionWeights | None = None) -> None:
        self.encoder = encoder
        self.weights = weights or (DEFAULT_WEIGHTS if encoder is not None else LEXICAL_ONLY_WEIGHTS)
        self.lexical_weights = LEXICAL_ONLY_WEIGHTS
        self._lock = threading.RLock()
        self._documents: list[FaqDocument | None] = []
        self._slot_of: dict[FaqId, int] = {}
        self._free_slots: list[int] = []
        self._languages: list[str] = []
        self._alive = np.zeros(0, dtype=bool)
        self._language_ids = np.zeros(0, dtype=np.int32)
        self._language_numbers: dict[str, int] = {}
        self._lexical = LexicalIndex()
        self._dense: DenseRows | None = None
        self._vectors: dict[str, np.ndarray] = {}
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, document_id: object) -> bool:
        return document_id in self._slot_of

    def languages(self) -> set[str]:
        """Primary language codes of the indexed entries (to decide whether to filter by one)."""
        with self._lock:
            return {code for code, doc in zip(self._languages, self._documents, strict=True) if doc}

    def documents(self) -> list[FaqDocument]:
        """Every indexed entry, in slot order."""
        with self._lock:
            return [doc for doc in self._documents if doc is not None]

    # --- editing -----------------------------------------------------------------------------

    def rebuild(self, documents: Iterable[FaqDocument]) -> None:
        """Replace the whole index with ``documents`` (later duplicates of an id win)."""
        unique = list({doc.id: doc for doc in documents}.values())
        vectors = self._encode_documents(unique)
        lexical = LexicalIndex()
        dimension = next((rows.shape[1] for rows in vectors if rows is not None), None)
        dense = DenseRows(dimension) if dimension is not None else None
        for slot, doc in enumerate(unique):
            lexical.set(slot, doc)
            rows = vectors[slot] if vectors else None
            if dense is not None and rows is not None:
                dense.set(slot, rows)
        keep = {text for doc in unique if self._embeds(doc) for text in embedded_texts(doc)}
        with self._lock:
            self._documents = list(unique)
            self._slot_of = {doc.id: slot for slot, doc in enumerate(unique)}
            self._free_slots = []
            self._languages = [primary_language(doc.language) for doc in unique]
            self._lexical = lexical
            self._dense = dense
            self._alive = np.ones(len(unique), dtype=bool)
            self._language_ids = np.array(
                [self._language_id(code) for code in self._languages], dtype=np.int32
            )
            self._vectors = {text: vec for text, vec in self._vectors.items() if text in keep}
        retain = getattr(self.encoder, "retain", None)
        if callable(retain):  # an on-disk vector cache drops texts no entry has any more
            retain(keep)

    def upsert(self, document: FaqDocument) -> None:
        """Add or replace one entry; the next search sees it."""
        vectors = self._encode_documents([document])[0] if self.encoder is not None else None
        # (None: no encoder, or one that does not understand the entry's language)
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
            if vectors is not None:
                if self._dense is None:
                    self._dense = DenseRows(vectors.shape[1])
                self._dense.set(slot, vectors)
            elif self._dense is not None:
                self._dense.clear(slot)

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
            if self._dense is not None:
                self._dense.clear(slot)
            self._free_slots.append(slot)

    def _language_id(self, code: str) -> int:
        return self._language_numbers.setdefault(code, len(self._language_numbers))

    def _embeds(self, document: FaqDocument) -> bool:
        """True when the encoder understands the entry's language (else it is lexical only)."""
        if self.encoder is None:
            return False
        languages = getattr(self.encoder, "languages", None)
        return languages is None or primary_language(document.language) in languages

    def _encode_documents(self, documents: list[FaqDocument]) -> list[np.ndarray | None]:
        """Embedding rows per document (None where not embedded), encoding only new texts."""
        if self.encoder is None:
            return []
        texts = [embedded_texts(doc) if self._embeds(doc) else [] for doc in documents]
        with self._lock:
            known = dict(self._vectors)
        missing = list(dict.fromkeys(t for group in texts for t in group if t not in known))
        if missing:
            fresh = self.encoder.encode(missing)
            new = dict(zip(missing, fresh, strict=True))
            known.update(new)
            with self._lock:
                self._vectors.update(new)
        return [np.vstack([known[t] for t in group]) if group else None for group in texts]

    # --- searching ---------------------------------------------------------------------------

    def query_vector(self, query: str) -> np.ndarray | None:
        """The query's embedding: from an LRU cache when it was asked recently, or from the
        entries' own vectors when it is an entry's question or variant word for word."""
        if self.encoder is None:
            return None
        key = " ".join(query.split())
        with self._lock:
            cached = self._query_cache.get(key)
            if cached is not None:
                self._query_cache.move_to_end(key)
                return cached
            # A question asked word for word as an entry has it (e.g. a "related question"
            # button the bot offered): its vector is already known.
            known = self._vectors.get(key)
            if known is not None:
                return known
        vector = self.encoder.encode([key])[0]
        with self._lock:
            self._query_cache[key] = vector
            while len(self._query_cache) > QUERY_CACHE_SIZE:
                self._query_cache.popitem(last=False)
        return vector

    def uses_dense_for(self, query: str) -> bool:
        """True when the encoder understands the query's language (see TextEncoder)."""
        if self.encoder is None:
            return False
        languages = getattr(self.encoder, "languages", None)
        return languages is None or detect_language(query) in languages

    def weights_for(self, query: str) -> FusionWeights:
        """Fusion weights for this query: hybrid, or lexical-only when dense is not used."""
        return self.weights if self.uses_dense_for(query) else self.lexical_weights

    def scores(self, query: str, language: str | None = None) -> np.ndarray:
        """Fused score of every slot (-inf for empty slots, other languages, and, when ranking
        lexically only, entries sharing no term with the query)."""
        return self._fused_scores(query, language)[0]

    def _fused_scores(self, query: str, language: str | None) -> tuple[np.ndarray, FusionWeights]:
        terms = tokenize(query)
        dense_used = self.uses_dense_for(query)
        vector = self.query_vector(query) if dense_used else None
        weights = self.weights if dense_used else self.lexical_weights
        with self._lock:
            size = len(self._documents)
            lexical = scaled_lexical(
                self._lexical.scores(terms, size), self._lexical.idf_mass(terms)
            )
            dense = None
            if vector is not None and self._dense is not None:
                dense = self._dense.scores(vector, size)
            fused = fuse(dense, lexical, weights)
            eligible = self._alive
            if dense is None:
                eligible = eligible & (lexical > 0)
            if language:
                wanted = self._language_numbers.get(primary_language(language), -2)
                eligible = eligible & (self._language_ids == wanted)
            return np.where(eligible, fused, -np.inf).astype(np.float32), weights

    def search(self, query: str, k: int = 5, language: str | None = None) -> list[FaqHit]:
        """The best ``k`` entries for ``query`` (only ``language`` entries when given)."""
        if k <= 0 or not query.strip():
            return []
        fused, weights = self._fused_scores(query, language)
        with self._lock:
            candidates = np.flatnonzero(np.isfinite(fused))
            if not len(candidates):
                return []
            take = min(len(candidates), max(k, 2))
            order = candidates[np.argpartition(-fused[candidates], take - 1)[:take]]
            order = order[np.argsort(-fused[order], kind="stable")]
            best = float(fused[order[0]])
            runner_up = float(fused[order[1]]) if len(order) > 1 else best - 1.0
            hits: list[FaqHit] = []
            for rank, slot in enumerate(order[:k]):
                score = float(fused[slot])
                margin = score - (runner_up if rank == 0 else best)
                document = self._documents[slot]
                assert document is not None
                hits.append(FaqHit(document, score, confidence(score, margin, weights)))
            return hits
