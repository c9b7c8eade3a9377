"""The e5 second opinion on an uncertain English top hit (``ranking.second_opinion``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.knowledge.encoders.routing import RoutedEncoder
from bot.knowledge.entries import FaqDocument, FaqHit, embedded_texts
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.second_opinion import BAND, SecondOpinion, rescored
from tests.knowledge.test_routing_and_learning import DocumentAwareHashing, EnglishHashing

SHIPPING = FaqDocument(1, "How long does shipping take?", "3-5 business days.")
RETURNS = FaqDocument(2, "What is your return policy?", "Unused items within 30 days.")


class PointingE5:
    """Stands for e5: every text of an entry points one way, a question where it is told."""

    family = "e5"
    languages = None

    def __init__(self, directions: dict[str, int]) -> None:
        self.directions = directions

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.zeros((len(texts), 4), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            row[self.directions.get(text, 3)] = 1.0
        return rows


def opinion() -> SecondOpinion:
    directions = {text: 0 for text in embedded_texts(SHIPPING)}
    directions |= {text: 1 for text in embedded_texts(RETURNS)}
    directions |= {"when will it arrive": 0, "can I send it back": 1}
    second = SecondOpinion(RoutedEncoder([EnglishHashing(), PointingE5(directions)]))
    second.rebuild([(0, SHIPPING), (1, RETURNS)])
    return second


def test_agreement_raises_and_disagreement_lowers_the_confidence() -> None:
    assert rescored(0.6, 0.05) > 0.7 > rescored(0.7, -0.05)
    assert rescored(0.5, 0.02) > rescored(0.5, 0.0) > rescored(0.5, -0.02)


def test_only_an_uncertain_top_hit_is_rescored_and_it_stays_first() -> None:
    second, eligible = opinion(), np.array([True, True])
    agreed = [FaqHit(SHIPPING, 0.5, 0.6), FaqHit(RETURNS, 0.2, 0.1)]
    second.review("when will it arrive", agreed, 0, eligible)
    assert agreed[0].confidence > 0.9 and agreed[1].confidence == 0.1
    doubted = [FaqHit(SHIPPING, 0.5, 0.6), FaqHit(RETURNS, 0.2, 0.1)]
    second.review("can I send it back", doubted, 0, eligible)
    assert doubted[0].confidence == 0.1  # lowered, but not below the runner-up
    sure = [FaqHit(SHIPPING, 0.9, BAND[1]), FaqHit(RETURNS, 0.2, 0.1)]
    second.review("can I send it back", sure, 0, eligible)
    assert sure[0].confidence == BAND[1]
    weak = [FaqHit(SHIPPING, 0.3, BAND[0] - 0.01)]
    second.review("when will it arrive", weak, 0, eligible)
    assert weak[0].confidence == BAND[0] - 0.01


def test_english_entries_get_e5_vectors_only_beside_another_encoder() -> None:
    e5 = DocumentAwareHashing()
    index = FaqIndex(RoutedEncoder([EnglishHashing(), e5]))
    index.rebuild([SHIPPING])
    assert set(embedded_texts(SHIPPING)) <= set(e5.documents)
    index.upsert(RETURNS)
    assert set(embedded_texts(RETURNS)) <= set(e5.documents)
    assert not SecondOpinion(EnglishHashing()).active
    assert not SecondOpinion(DocumentAwareHashing()).active  # e5 alone ranks English itself


def test_gaps_measure_each_entry_against_the_best_other() -> None:
    second = opinion()
    gaps = second.gaps("when will it arrive", np.array([True, True]))
    assert gaps is not None and gaps.tolist() == [1.0, -1.0]
    assert second.gaps("when will it arrive", np.array([True, False])) is None  # one candidate
    assert SecondOpinion(EnglishHashing()).gaps("when will it arrive", np.array([True])) is None
