"""Mechanics without models: per-language vector spaces, the on-disk cache of document vectors,
the unmatched-terms feature, learned phrasings and the key facts of an answer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.knowledge.encoders.routing import RoutedEncoder, encoder_parts
from bot.knowledge.encoders.vector_cache import DiskCachedEncoder
from bot.knowledge.entries import FaqDocument
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.lexical import LexicalIndex
from bot.knowledge.ranking.metrics import (
    fact_share,
    key_facts,
    open_world_rate,
    retrieval_metrics,
    search_like_customer,
    split_learned,
    with_learned,
)
from bot.knowledge.ranking.scoring import E5_WEIGHTS, weights_of
from bot.knowledge.ranking.thresholds import CONFIDENT_THRESHOLD
from tests.knowledge.fakes import HashingEncoder

SHIPPING = FaqDocument(1, "How long does shipping take?", "3-5 business days.")
RETURNS = FaqDocument(2, "What is your return policy?", "Unused items within 30 days.")
RETURNS_ZH = FaqDocument("r-zh", "如何办理退货？", "收货后 30 天内可以退货。", language="zh")


class EnglishHashing(HashingEncoder):
    languages = frozenset({"en"})


class DocumentAwareHashing(HashingEncoder):
    """Stands for e5: documents are encoded by another method than questions."""

    family = "e5"

    def __init__(self) -> None:
        super().__init__()
        self.documents: list[str] = []

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.documents.extend(texts)
        return super().encode(texts)


def test_each_language_is_embedded_in_its_own_space() -> None:
    english, other = EnglishHashing(), DocumentAwareHashing()
    index = FaqIndex(RoutedEncoder([english, other]))
    index.rebuild([SHIPPING, RETURNS, RETURNS_ZH])
    # English entries go to e5 too, but only as its second opinion (see test_second_opinion)
    assert {"如何办理退货？", "如何办理退货？\n收货后 30 天内可以退货。"} <= set(other.documents)
    assert "如何办理退货？" not in english.encoded
    assert index.space_for("zh") == 1 and index.space_for("en") == 0
    assert index.weights_of_space(1) is E5_WEIGHTS
    hits = index.search("退货", k=3, language="zh")
    assert [hit.document.id for hit in hits] == ["r-zh"]
    assert "退货" in other.encoded  # the question went to the second encoder, as a query
    index.upsert(FaqDocument("r-zh", "How do I return?", "Send it back.", language="en"))
    assert index.search("how do I return", k=1)[0].document.id == "r-zh"
    assert encoder_parts(None) == ()


def test_routed_encoder_routes_each_text_by_its_language() -> None:
    english, other = EnglishHashing(), HashingEncoder()
    routed = RoutedEncoder([english, other])
    rows = routed.encode(["return policy", "退货政策"])
    assert rows.shape == (2, HashingEncoder.dimension)
    assert english.encoded == ["return policy"] and other.encoded == ["退货政策"]
    assert routed.languages is None


def test_disk_cache_keeps_document_vectors_apart_from_query_vectors(tmp_path: Path) -> None:
    inner = DocumentAwareHashing()
    cached = DiskCachedEncoder(inner, tmp_path / "cache.npz", "fake")
    cached.encode_documents(["a text", "another text"])
    cached.encode(["a text", "another text"])
    assert inner.documents == ["a text", "another text"]
    again = DiskCachedEncoder(DocumentAwareHashing(), tmp_path / "cache.npz", "fake")
    again.encode_documents(["a text", "another text"])
    assert again.inner.documents == []  # type: ignore[attr-defined]
    assert weights_of(again) is E5_WEIGHTS


def test_unmatched_share_counts_terms_no_entry_has_as_rarest() -> None:
    lexical = LexicalIndex()
    lexical.set(0, RETURNS)
    lexical.set(1, SHIPPING)
    assert lexical.unmatched_share(["return", "polici"], 0) == 0.0
    assert lexical.unmatched_share(["return", "polici"], 1) == 1.0
    share = lexical.unmatched_share(["return", "jacket", "waterproof"], 0)
    assert 0.6 < share < 1.0


def test_learned_queries_become_phrasings_of_their_entry() -> None:
    queries = [(f"question {n}", {1 if n % 2 else 2}) for n in range(10)]
    learned, tested = split_learned(queries, 0.5, seed=3)
    assert len(learned) == 5 and len(tested) == 5
    assert not {q for q, _ in learned} & {q for q, _ in tested}
    assert split_learned(queries, 0.5, seed=3) == (learned, tested)
    taught = {doc.id: doc for doc in with_learned([SHIPPING, RETURNS], learned)}
    assert {*taught[1].variants, *taught[2].variants} == {q for q, _ in learned}


def test_automation_and_open_world_rates() -> None:
    index = FaqIndex(HashingEncoder())
    index.rebuild([SHIPPING, RETURNS])
    report = retrieval_metrics(index, [("How long does shipping take?", {1})], threshold=0.0)
    assert report["automation_rate"] == 1.0 and report["confident_right"] == 1
    world = open_world_rate(index, ["What is the capital of Australia?"], threshold=1.01)
    assert world == {
        "open_world_queries": 1,
        "open_world_confident": 0,
        "open_world_confident_rate": 0.0,
    }


def test_key_facts_are_numbers_and_named_options() -> None:
    answer = "We accept Visa, Mastercard and PayPal. Express shipping costs $12.99 in 1-2 days."
    assert key_facts(answer) == {"Visa", "Mastercard", "PayPal", "12.99", "1", "2"}
    assert fact_share("Pay with Visa or PayPal; express is $12.99 (1-2 days).", answer) == 5 / 6
    assert fact_share("anything", "No facts here.") is None


def test_lexical_only_shared_function_words_make_no_confident_match(
    demo_documents: list[FaqDocument],
) -> None:
    """ "你们卖汽车吗" shares only 你们/卖/吗 with "你们卖礼品卡吗": without an encoder for Chinese,
    the unknown 汽车 must keep it from a confident answer; the real question stays confident."""
    index = FaqIndex(None)
    index.rebuild(demo_documents)
    hits = search_like_customer(index, "你们卖汽车吗")
    assert all(hit.confidence < CONFIDENT_THRESHOLD for hit in hits)
    best = search_like_customer(index, "你们卖礼品卡吗")[0]
    assert best.document.id == "gift-cards-zh" and best.confidence >= CONFIDENT_THRESHOLD
