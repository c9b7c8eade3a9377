"""Confidence thresholds that the answer policy applies to ``FaqHit.confidence``.

CONFIDENT_THRESHOLD: at or above it the curated answer is sent word for word. Chosen on the dev
sets so that precision there is at least 0.95 on each (see bench/retrieval.py for coverage).
RELATED_THRESHOLD: below it no entry is relevant enough to ground a generated answer, and the
customer is offered a human instead.
"""

from __future__ import annotations

CONFIDENT_THRESHOLD = 0.7
RELATED_THRESHOLD = 0.2
