"""Issue 9 retrieval rules on the demo FAQ with the default encoders (MiniLM, multilingual e5
and the mpnet reranker):
exact wordings rank their entry first, questions outside the FAQ get no confident answer, and
Chinese questions get dense retrieval."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.knowledge.encoders.routing import RoutedEncoder
from bot.knowledge.entries import FaqDocument
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.metrics import open_world_rate, read_questions, search_like_customer
from bot.knowledge.ranking.phrasings import normalised
from bot.knowledge.ranking.thresholds import CONFIDENT_THRESHOLD
from bot.knowledge.text.language import detect_language
from tests.knowledge.conftest import PROJECT_ROOT

OUT_OF_SCOPE = PROJECT_ROOT / "bench" / "data" / "out_of_scope.yaml"


@pytest.fixture(scope="module")
def demo_index(bundled: RoutedEncoder, demo_documents: list[FaqDocument]) -> FaqIndex:
    index = FaqIndex(bundled)
    index.rebuild(demo_documents)
    return index


def wordings(documents: list[FaqDocument]) -> list[tuple[str, str, set[str]]]:
    """(wording, its entry, every entry worded so) for each question and phrasing."""
    owners: dict[str, set[str]] = {}
    for doc in documents:
        for text in (doc.question, *doc.variants):
            owners.setdefault(normalised(text), set()).add(str(doc.id))
    return [
        (text, str(doc.id), owners[normalised(text)])
        for doc in documents
        for text in dict.fromkeys((doc.question, *doc.variants))
    ]


def test_every_exact_wording_ranks_its_entry_first(
    demo_index: FaqIndex, demo_documents: list[FaqDocument]
) -> None:
    """A question identical to an entry's question or phrasing ranks that entry first, in both
    languages; a wording two entries share ranks both on top and neither confidently."""
    checked = Counter[str]()
    for text, entry, owners in wordings(demo_documents):
        assert entry in owners
        hits = search_like_customer(demo_index, text)
        top = {str(hit.document.id) for hit in hits[: len(owners)]}
        assert top == owners, (text, [(h.document.id, round(h.confidence, 2)) for h in hits])
        if len(owners) == 1:
            assert hits[0].confidence >= CONFIDENT_THRESHOLD, (text, hits[0].confidence)
        else:
            assert hits[0].confidence < CONFIDENT_THRESHOLD
        checked[detect_language(text)] += 1
    assert checked["en"] >= 90 and checked["zh"] >= 90


def test_exact_wording_is_case_and_punctuation_blind(demo_index: FaqIndex) -> None:
    assert search_like_customer(demo_index, "可以退货吗")[0].document.id == "return-policy-zh"
    hits = search_like_customer(demo_index, "  what is your RETURN policy  ")
    assert hits[0].document.id == "return-policy-en"


def test_an_edit_moves_the_exact_wording(
    bundled: RoutedEncoder, demo_documents: list[FaqDocument]
) -> None:
    index = FaqIndex(bundled)
    index.rebuild(demo_documents)
    gift = next(doc for doc in demo_documents if doc.id == "gift-cards-en")
    index.upsert(FaqDocument(gift.id, gift.question, gift.answer, ("Do you sell vouchers?",)))
    assert search_like_customer(index, "do you sell vouchers")[0].document.id == "gift-cards-en"
    index.remove("gift-cards-en")
    hits = search_like_customer(index, "Do you sell vouchers?")
    assert all(hit.document.id != "gift-cards-en" for hit in hits)


@pytest.mark.parametrize(
    ("question", "wrong_entry"),
    [
        ("is the blue jacket waterproof?", "return-policy-en"),
        ("你们卖汽车吗", "gift-cards-zh"),
        ("你们卖手机吗？", "gift-cards-zh"),
        ("一个鸡蛋要煮几分钟？", "password-reset-zh"),
    ],
)
def test_questions_outside_the_faq_get_no_confident_answer(
    demo_index: FaqIndex, question: str, wrong_entry: str
) -> None:
    hits = search_like_customer(demo_index, question)
    assert not any(
        hit.document.id == wrong_entry and hit.confidence >= CONFIDENT_THRESHOLD for hit in hits
    ), [(h.document.id, round(h.confidence, 2)) for h in hits]


def test_out_of_scope_questions_are_rarely_confident_on_the_demo_faq(
    demo_index: FaqIndex,
) -> None:
    questions = read_questions(OUT_OF_SCOPE)
    assert len(questions) >= 100
    report = open_world_rate(demo_index, questions)
    # Measured 0.147 before issue 9 (19 of 129); "what is Amazon's return policy?" and the like
    # stay hard for a shop FAQ, so this bound is looser than the dev sets' 2%.
    assert report["open_world_confident_rate"] <= 0.08, report


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("送货要多少天", "shipping-time-zh"),
        ("收到的东西是坏的", "damaged-item-zh"),
        ("能用信用卡付钱吗", "payment-methods-zh"),
        ("我想把账号删掉", "delete-account-zh"),
    ],
)
def test_chinese_paraphrases_find_their_entry(
    demo_index: FaqIndex, question: str, expected: str
) -> None:
    assert search_like_customer(demo_index, question)[0].document.id == expected


def test_chinese_questions_are_embedded_by_e5_and_english_by_minilm(
    demo_index: FaqIndex,
) -> None:
    assert demo_index.space_for("en") == 0
    assert demo_index.space_for("zh") == 1
    assert demo_index.uses_dense_for("退货要钱吗")
    vector = demo_index.query_vector("退货要钱吗")
    assert vector is not None and vector.shape == (384,)
