"""A second opinion from e5 on an uncertain English top hit.

English is ranked by MiniLM (with BM25), whose calibrated confidence is the only judge of
whether the curated answer is sent. The multilingual e5 encoder is loaded anyway (it serves the
other languages) and is an independent model: when it also prefers the top entry over every
other, by a clear cosine gap, the top entry is much more often right; when it prefers another
entry, much less. So the English entries get e5 vectors too, and a top hit whose confidence is
uncertain (``BAND``) is re-scored as

    confidence' = sigmoid(BIAS + CONFIDENCE_SLOPE * logit(confidence) + GAP_SLOPE * gap)

where ``gap`` is the e5 cosine of the top entry minus the best e5 cosine of any other entry
the search could return. The three coefficients were fitted (bench/calibration-style weighted
logistic regression) on the two dev sets' queries, their open-world negatives (the other set's
queries and bench/data/out_of_scope.yaml), and shifted so the policy's 0.7 threshold keeps
precision at least 0.97 on each. Only the top hit is re-scored (the curve was fitted on top
hits), and only inside the band, so e5 runs for about a quarter of English questions (8-18 ms
each on this machine) and clear answers stay as fast as before. The band starts at 0.4: from
0.3 it also made "Is there a physical showroom where I can try the sofas?" a confident
store-pickup answer on the demo FAQ (0.34 -> 0.87), where few entries compete and e5's gaps are
wide. It ends at 0.85: up to 0.95 e5 ran for 37% of questions (search p50 9.2 ms at 10,000
entries) for one more right answer on quebec and one fewer on stackfaq. The price: with the gold
entry removed, about 3.7% of quebec's queries get a confident (wrong) answer, against 2.1%
without the second opinion (estimated from the top-10 lists); and an English entry's edit also
encodes its texts with e5 (about 1 s for a long answer on a loaded machine).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import numpy as np

from bot.knowledge.dense import DenseRows
from bot.knowledge.documents import FaqDocument, FaqHit, embedded_texts
from bot.knowledge.embedding import TextEncoder
from bot.knowledge.encoders import document_encoder, encoder_parts

BAND = (0.4, 0.85)  # top-hit confidences that are re-scored
BIAS = -0.173
CONFIDENCE_SLOPE = 0.661
GAP_SLOPE = 46.864
QUERY_CACHE_SIZE = 1024


def is_e5(encoder: object) -> bool:
    """True for the e5 encoder, also behind a cache or a benchmark wrapper (``inner``)."""
    while encoder is not None:
        if getattr(encoder, "family", None) == "e5":
            return True
        encoder = getattr(encoder, "inner", None)
    return False


def rescored(confidence: float, gap: float) -> float:
    """The top hit's confidence once e5's cosine gap is known (see the module docstring)."""
    clipped = min(max(confidence, 1e-4), 1.0 - 1e-4)
    logit = BIAS + CONFIDENCE_SLOPE * math.log(clipped / (1.0 - clipped)) + GAP_SLOPE * gap
    return 1.0 / (1.0 + math.exp(-logit))


class SecondOpinion:
    """e5 vectors of the entries another encoder ranks; slots as in the owning ``FaqIndex``.

    Inactive (every method a no-op) unless the index's encoder routes some languages to a
    non-e5 encoder and has an e5 part for the rest (the default "minilm+e5").
    """

    def __init__(self, encoder: TextEncoder | None) -> None:
        parts = encoder_parts(encoder)
        e5 = [part for part in parts if is_e5(part)]
        self.encoder: TextEncoder | None = e5[0] if e5 and len(parts) > 1 else None
        self._served = {id(part) for part in parts if not is_e5(part)}
        self._lock = threading.Lock()
        self._rows: DenseRows | None = None
        self._vectors: dict[str, np.ndarray] = {}
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def active(self) -> bool:
        return self.encoder is not None

    def covers(self, part: TextEncoder | None) -> bool:
        """True when entries (and questions) of ``part``'s space get a second opinion."""
        return self.active and part is not None and id(part) in self._served

    def rebuild(self, entries: list[tuple[int, FaqDocument]]) -> None:
        """Vectors for ``entries`` (slot, document), replacing all others."""
        if self.encoder is None:
            return
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
        if self.encoder is None:
            return
        if document is None:
            with self._lock:
                if self._rows is not None:
                    self._rows.clear(slot)
            return
        matrix = self._encode([document])[0]
        with self._lock:
            self._rows = self._rows or DenseRows(matrix.shape[1])
            self._rows.set(slot, matrix)

    def review(self, query: str, hits: list[FaqHit], top_slot: int, eligible: np.ndarray) -> None:
        """Re-score ``hits[0]`` in place when its confidence is uncertain (see ``BAND``)."""
        if self.encoder is None or not hits or not BAND[0] <= hits[0].confidence < BAND[1]:
            return
        with self._lock:
            rows = self._rows
        if rows is None:
            return
        cosines = rows.scores(self._query_vector(query), len(eligible))
        others = np.where(eligible, cosines, -np.inf)
        others[top_slot] = -np.inf
        if not np.isfinite(others).any():
            return
        gap = float(cosines[top_slot]) - float(others.max())
        top = hits[0]
        # It stays first: the policy ranks by confidence, and the curve judged the top hit only.
        floor = max((hit.confidence for hit in hits[1:]), default=0.0)
        hits[0] = FaqHit(top.document, top.score, max(floor, rescored(top.confidence, gap)))

    def _query_vector(self, query: str) -> np.ndarray:
        key = " ".join(query.split())
        with self._lock:
            cached = self._queries.get(key)
            if cached is not None:
                self._queries.move_to_end(key)
                return cached
        assert self.encoder is not None
        vector = self.encoder.encode([key])[0]
        with self._lock:
            self._queries[key] = vector
            while len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector

    def _encode(self, documents: list[FaqDocument]) -> list[np.ndarray]:
        """Passage vectors of each document's embedded texts, encoding only new texts."""
        assert self.encoder is not None
        with self._lock:
            known = dict(self._vectors)
        texts = [embedded_texts(doc) for doc in documents]
        missing = list(dict.fromkeys(t for group in texts for t in group if t not in known))
        if missing:
            fresh = document_encoder(self.encoder).encode(missing)
            known.update(zip(missing, fresh, strict=True))
            with self._lock:
                self._vectors.update(zip(missing, fresh, strict=True))
        return [np.vstack([known[text] for text in group]) for group in texts]
