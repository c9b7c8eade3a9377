"""How the lexical and dense rankers are combined, and how a fused score becomes a confidence.

Plain reciprocal-rank fusion throws away how *sure* each ranker is and measured worse than the
dense ranker alone on our dev sets. So both scores are first put on a fixed scale: the cosine as
is, BM25 divided by the most the query could score (the summed IDF of its known terms times
``k1 + 1``), which makes "matched every rare word" about 1 whatever the query length. The fused
score is a weighted sum; the weights were tuned on the two dev sets (see bench/retrieval.py).

Confidence is a logistic function of a hit's fused score and its margin over the best *other*
entry: a high score alone is not enough when a near-duplicate entry scores the same. The three
coefficients were fitted on the dev sets (no query text is stored) as an *open-world* problem:
besides the labelled queries, each query was also run with its gold entry removed, and each
set's queries were run against the other set's FAQ, both labelled "no right entry". Without
those negatives a closed-world fit learns that the top hit is usually right whatever its score.
Confidence rises with score and margin, so it falls with rank.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bot.knowledge.lexical import K1


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """Weights of the scaled rankers in the fused score, and the confidence curve."""

    dense: float = 1.0
    lexical: float = 0.4
    # confidence = sigmoid(bias + score_slope * score + margin_slope * margin)
    bias: float = -6.733
    score_slope: float = 7.082
    margin_slope: float = 11.558


DEFAULT_WEIGHTS = FusionWeights()
LEXICAL_ONLY_WEIGHTS = FusionWeights(
    dense=0.0, lexical=1.0, bias=-2.988, score_slope=4.576, margin_slope=14.779
)


def scaled_lexical(bm25: np.ndarray, idf_mass: float) -> np.ndarray:
    """BM25 divided by the query's ceiling, roughly in [0, 1]."""
    if idf_mass <= 0.0:
        return np.zeros_like(bm25)
    return bm25 / np.float32(idf_mass * (K1 + 1.0))


def fuse(dense: np.ndarray | None, lexical: np.ndarray, weights: FusionWeights) -> np.ndarray:
    """Weighted sum of the scaled scores (dense omitted when there is no encoder)."""
    fused = weights.lexical * lexical
    if dense is not None and weights.dense:
        fused = fused + weights.dense * dense
    return fused.astype(np.float32, copy=False)


def confidence(score: float, margin: float, weights: FusionWeights) -> float:
    """Calibrated probability that a hit with this score and margin is the right entry."""
    logit = weights.bias + weights.score_slope * score + weights.margin_slope * margin
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    exp = math.exp(logit)
    return exp / (1.0 + exp)
