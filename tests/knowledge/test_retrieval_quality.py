"""Retrieval with the real bundled encoder on the demo FAQ: paraphrases in English and Chinese."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bot.knowledge.encoders.base import EncoderError, TextEncoder
from bot.knowledge.encoders.loading import load_encoder
from bot.knowledge.entries import FaqDocument
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.thresholds import CONFIDENT_THRESHOLD, RELATED_THRESHOLD
from bot.knowledge.text.language import detect_language
from tests.knowledge.conftest import MemoEncoder


@pytest.fixture(scope="module")
def demo_index(minilm: TextEncoder, demo_documents: list[FaqDocument]) -> FaqIndex:
    index = FaqIndex(minilm)
    index.rebuild(demo_documents)
    return index


def test_encoder_returns_unit_float32_rows(minilm: MemoEncoder) -> None:
    encoder = minilm.inner  # the real encoder, not the test memo
    texts = ["How long does shipping take?", "运费是多少？", "Can I pay with PayPal? " * 3]
    vectors = encoder.encode(texts)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for text, batched in zip(texts, vectors, strict=True):  # one text (traced) == in a batch
        alone = encoder.encode([text])[0]
        assert float(alone @ batched) > 0.999
    assert encoder.encode([]).shape == (0, 384)


def test_load_encoder_names() -> None:
    assert load_encoder("none") is None
    assert load_encoder(" None ") is None
    with pytest.raises(EncoderError, match="neither"):
        load_encoder("/no/such/model/dir")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("how long does shipping take?", "shipping-time-en"),
        ("I forgot my password", "password-reset-en"),
        ("my parcel arrived broken", "damaged-item-en"),
        ("can I pay with apple pay", "payment-methods-en"),
    ],
)
def test_english_question_is_answered_confidently(
    demo_index: FaqIndex, query: str, expected: str
) -> None:
    best = demo_index.search(query, k=3, language="en")[0]
    assert best.document.id == expected
    assert best.confidence >= CONFIDENT_THRESHOLD


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("退款要多久才到账", "refund-time-zh"),  # entry: 退款多久能到账？
        ("运费怎么算", "shipping-cost-zh"),  # entry: 运费是多少？
        ("怎么取消订单", "order-cancel-zh"),
        ("密码忘了", "password-reset-zh"),  # entry: 忘记密码了，怎么重置？
    ],
)
def test_chinese_paraphrase_finds_its_entry(
    demo_index: FaqIndex, query: str, expected: str
) -> None:
    hits = demo_index.search(query, k=3, language=detect_language(query))
    assert hits[0].document.id == expected
    assert all(hit.document.language == "zh" for hit in hits)


def test_chinese_paraphrase_without_the_help_of_variants(
    minilm: TextEncoder, demo_documents: list[FaqDocument]
) -> None:
    index = FaqIndex(minilm)
    index.rebuild(dataclasses.replace(doc, variants=()) for doc in demo_documents)
    ranked = [hit.document.id for hit in index.search("怎么退货", k=2, language="zh")]
    assert "how-to-return-zh" in ranked  # 如何办理退货？ shares 退货 with 怎么退货


@pytest.mark.parametrize("query", ["what's the weather like", "tell me a joke", "今天天气怎么样"])
def test_unrelated_question_is_not_confident(demo_index: FaqIndex, query: str) -> None:
    hits = demo_index.search(query, k=3, language=detect_language(query))
    assert all(hit.confidence < RELATED_THRESHOLD for hit in hits)


def test_admin_edit_is_visible_to_the_next_query(demo_index: FaqIndex) -> None:
    entry = FaqDocument(
        id="loyalty-en",
        question="Do you have a loyalty programme?",
        answer="Yes: Acme Points, 1 point per dollar, 100 points = $5.",
        variants=("How do I collect points?",),
    )
    try:
        demo_index.upsert(entry)
        best = demo_index.search("can I earn points when I shop", k=1, language="en")[0]
        assert best.document.id == "loyalty-en"
    finally:
        demo_index.remove("loyalty-en")
    best_after = demo_index.search("can I earn points when I shop", k=1, language="en")
    assert best_after[0].document.id != "loyalty-en"
