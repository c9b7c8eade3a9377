"""``bench.calibration.for_precision``: the e5 curve is chosen for precision on a Chinese dev
set (most confident answers at >= 0.97 right, no out-of-scope question confident), not by a
logistic fit that trades precision for coverage."""

from __future__ import annotations

import math

from bench.calibration import for_precision
from bot.knowledge.ranking.scoring import E5_WEIGHTS, confidence

Row = tuple[float, float, float, float]


def dev_rows() -> list[Row]:
    """400 answers: wide margins right, thin margins right or wrong (one in three wrong)."""
    wide = [(0.95, 0.05 + i / 4000, 0.0, 1.0) for i in range(200)]
    thin = [(0.95, 0.001 * (i % 10), 0.0, float(i % 3 != 0)) for i in range(200)]
    return wide + thin


def test_the_curve_is_confident_on_the_wide_margins_only() -> None:
    outside = [(0.97, 0.02, 0.0, 0.0)]  # a near entry for a question we cannot answer
    rows = {
        ("dev", "answerable", "e5"): dev_rows(),
        ("dev", "oos", "e5"): outside,
        ("demo", "answerable", "e5"): [(0.99, 0.2, 0.0, 0.0)] * 50,  # ignored: noisy labels
    }
    chosen, count = for_precision(rows, E5_WEIGHTS, target=0.97)
    assert count == 200 and chosen.score_slope == E5_WEIGHTS.score_slope
    confident = [row for row in dev_rows() if confidence(row[0], row[1], chosen, row[2]) >= 0.7]
    assert len(confident) == 200 and all(row[3] == 1.0 for row in confident)
    assert confidence(0.97, 0.02, chosen, 0.0) < 0.7
    assert math.isfinite(chosen.bias) and chosen.margin_slope > 0
