"""A second opinion from e5 on an uncertain English top hit.

Where the mpnet reranker is loaded (the default), it looks at uncertain English questions
instead, and this e5 view becomes a feature of its confidence (``gaps``); what follows is the
second opinion as it works without it.

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

import numpy as np

from bot.knowledge.encoders.base import TextEncoder
from bot.knowledge.encoders.routing import of_family
from bot.knowledge.entries import FaqHit
from bot.knowledge.ranking.side_vectors import SideModel

BAND = (0.4, 0.85)  # top-hit confidences that are re-scored
BIAS = -0.173
CONFIDENCE_SLOPE = 0.661
GAP_SLOPE = 46.864


def is_e5(encoder: object) -> bool:
    """True for the e5 encoder, also behind a cache or a benchmark wrapper (``inner``)."""
    return of_family(encoder, "e5")


def rescored(confidence: float, gap: float) -> float:
    """The top hit's confidence once e5's cosine gap is known (see the module docstring)."""
    clipped = min(max(confidence, 1e-4), 1.0 - 1e-4)
    logit = BIAS + CONFIDENCE_SLOPE * math.log(clipped / (1.0 - clipped)) + GAP_SLOPE * gap
    return 1.0 / (1.0 + math.exp(-logit))


class SecondOpinion(SideModel):
    """e5 vectors of the entries another encoder ranks; slots as in the owning ``FaqIndex``.

    Inactive (every method a no-op) unless the index's encoder routes some languages to a
    non-e5 encoder and has an e5 part for the rest (the default "minilm+e5").
    """

    def __init__(self, encoder: TextEncoder | None) -> None:
        super().__init__(encoder, "e5")

    def covers(self, part: TextEncoder | None) -> bool:
        """True when entries (and questions) of ``part``'s space get a second opinion."""
        return self.serves(part)

    def gaps(self, query: str, eligible: np.ndarray) -> np.ndarray | None:
        """Per slot, e5's cosine minus its best cosine of any *other* eligible slot (the
        reranker's agreement feature), or None without e5 vectors."""
        cosines = self._side.scores(query, len(eligible)) if self._side is not None else None
        if cosines is None or eligible.sum() < 2:
            return None
        ranked = np.where(eligible, cosines, -np.inf)
        best = int(np.argmax(ranked))
        others = np.full(len(ranked), ranked[best])
        ranked[best] = -np.inf
        others[best] = ranked.max()
        return cosines - others

    def review(self, query: str, hits: list[FaqHit], top_slot: int, eligible: np.ndarray) -> None:
        """Re-score ``hits[0]`` in place when its confidence is uncertain (see ``BAND``)."""
        if self._side is None or not hits or not BAND[0] <= hits[0].confidence < BAND[1]:
            return
        cosines = self._side.scores(query, len(eligible))
        if cosines is None:
            return
        others = np.where(eligible, cosines, -np.inf)
        others[top_slot] = -np.inf
        if not np.isfinite(others).any():
            return
        gap = float(cosines[top_slot]) - float(others.max())
        top = hits[0]
        # It stays first: the policy ranks by confidence, and the curve judged the top hit only.
        floor = max((hit.confidence for hit in hits[1:]), default=0.0)
        hits[0] = FaqHit(top.document, top.score, max(floor, rescored(top.confidence, gap)))
