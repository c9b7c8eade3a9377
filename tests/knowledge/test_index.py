"""FaqIndex: ranking, edits visible to the next search, language filtering, confidence."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.knowledge.encoders.base import TextEncoder
from bot.knowledge.entries import FaqDocument
from bot.knowledge.ranking.index import FaqIndex
from tests.knowledge.fakes import HashingEncoder

SHIPPING = FaqDocument(
    id=1,
    question="How long does shipping take?",
    answer="Standard shipping takes 3-5 business days.",
    variants=("When will my order arrive?",),
)
RETURNS = FaqDocument(
    id=2, question="What is your return policy?", answer="Unused items within 30 days."
)
HOURS = FaqDocument(id=3, question="What are your opening hours?", answer="Mon-Fri 9:00-18:00.")
RETURNS_ZH = FaqDocument(
    id="return-zh", question="如何办理退货？", answer="收货后 30 天内可以退货。", language="zh"
)
PAYMENT_ZH = FaqDocument(
    id="pay-zh", question="支持哪些付款方式？", answer="支持支付宝和微信支付。", language="zh"
)


@pytest.fixture
def encoder() -> HashingEncoder:
    return HashingEncoder()


def ids(hits: Sequence[object]) -> list[object]:
    return [hit.document.id for hit in hits]  # type: ignore[attr-defined]


def test_hashing_encoder_satisfies_the_protocol(encoder: HashingEncoder) -> None:
    assert isinstance(encoder, TextEncoder)


@pytest.mark.parametrize("use_encoder", [True, False])
def test_best_entry_first(encoder: HashingEncoder, use_encoder: bool) -> None:
    index = FaqIndex(encoder if use_encoder else None)
    index.rebuild([SHIPPING, RETURNS, HOURS])
    assert len(index) == 3
    assert ids(index.search("how long will shipping take", k=2))[0] == 1
    assert ids(index.search("when are you open? opening hours", k=1)) == [3]


def test_upsert_is_visible_to_the_next_search(encoder: HashingEncoder) -> None:
    index = FaqIndex(encoder)
    index.rebuild([SHIPPING, RETURNS])
    assert 3 not in ids(index.search("opening hours"))
    index.upsert(HOURS)
    assert ids(index.search("opening hours", k=1)) == [3]
    assert len(index) == 3


@pytest.mark.parametrize("use_encoder", [True, False])
def test_upsert_replaces_an_entry_in_place(encoder: HashingEncoder, use_encoder: bool) -> None:
    index = FaqIndex(encoder if use_encoder else None)
    index.rebuild([SHIPPING, RETURNS, HOURS])
    edited = FaqDocument(id=2, question="Do you sell gift cards?", answer="Yes, $10 to $500.")
    index.upsert(edited)
    assert len(index) == 3
    assert index.search("gift cards", k=1)[0].document == edited
    old_wording = {hit.document.id: hit.score for hit in index.search("return policy", k=3)}
    assert old_wording.get(2, 0.0) == 0.0  # nothing of the old text is left


def test_remove_hides_the_entry(encoder: HashingEncoder) -> None:
    index = FaqIndex(encoder)
    index.rebuild([SHIPPING, RETURNS, HOURS])
    index.remove(3)
    index.remove("never-there")  # unknown ids are ignored
    assert len(index) == 2
    assert 3 not in ids(index.search("opening hours", k=5))
    index.upsert(HOURS)  # the freed slot is reused
    assert ids(index.search("opening hours", k=1)) == [3]


def test_rebuild_encodes_only_texts_it_has_not_seen(encoder: HashingEncoder) -> None:
    index = FaqIndex(encoder)
    index.rebuild([SHIPPING, RETURNS])
    first = len(encoder.encoded)
    index.rebuild([SHIPPING, RETURNS, HOURS])
    assert encoder.encoded[first:] == [
        HOURS.question,
        f"{HOURS.question}\n{HOURS.answer}",
    ]


def test_rebuild_drops_entries_not_given(encoder: HashingEncoder) -> None:
    index = FaqIndex(encoder)
    index.rebuild([SHIPPING, RETURNS, HOURS])
    index.rebuild([HOURS])
    assert len(index) == 1
    assert ids(index.search("shipping return hours", k=5)) == [3]


def test_language_filter(encoder: HashingEncoder) -> None:
    index = FaqIndex(encoder)
    index.rebuild([RETURNS, RETURNS_ZH, PAYMENT_ZH])
    assert ids(index.search("怎么退货", k=5, language="zh"))[0] == "return-zh"
    assert set(ids(index.search("return", k=5, language="en"))) == {2}
    assert index.search("return", k=5, language="fr") == []
    assert ids(index.search("退货", k=1, language="zh-CN")) == ["return-zh"]


def test_confidence_in_range_and_falling_with_rank(encoder: HashingEncoder) -> None:
    index = FaqIndex(encoder)
    index.rebuild([SHIPPING, RETURNS, HOURS, RETURNS_ZH, PAYMENT_ZH])
    for query in ["how long does shipping take", "hours", "zzz", "退货", "return policy?"]:
        hits = index.search(query, k=5)
        confidences = [hit.confidence for hit in hits]
        assert all(0.0 <= c <= 1.0 for c in confidences)
        assert confidences == sorted(confidences, reverse=True)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_empty_query_and_empty_index(encoder: HashingEncoder) -> None:
    index = FaqIndex(encoder)
    assert index.search("anything") == []
    index.rebuild([SHIPPING])
    assert index.search("   ") == []
    assert index.search("shipping", k=0) == []


def test_lexical_only_index_returns_only_entries_sharing_a_term() -> None:
    index = FaqIndex(None)
    index.rebuild([SHIPPING, RETURNS, HOURS])
    assert ids(index.search("shipping", k=5)) == [1]
    assert index.search("weather forecast", k=5) == []


def test_repeated_and_verbatim_questions_are_not_encoded_again(encoder: HashingEncoder) -> None:
    index = FaqIndex(encoder)
    index.rebuild([SHIPPING, RETURNS])
    before = len(encoder.encoded)
    index.search(SHIPPING.variants[0])  # an entry's own wording: vector already known
    assert len(encoder.encoded) == before
    index.search("is shipping  free?")
    index.search("is shipping free?")  # same text once whitespace is normalised
    assert encoder.encoded[before:] == ["is shipping free?"]


def test_entries_in_languages_the_encoder_lacks_are_not_encoded() -> None:
    english_only = HashingEncoder()
    english_only.languages = frozenset({"en"})
    index = FaqIndex(english_only)
    index.rebuild([RETURNS, RETURNS_ZH])
    index.upsert(PAYMENT_ZH)
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in english_only.encoded)
    assert ids(index.search("怎么退货", k=1)) == ["return-zh"]  # found lexically
    assert ids(index.search("return policy", k=1, language="en")) == [2]
