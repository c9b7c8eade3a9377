"""A standalone partial match whose answer says nothing about the question is not sent.

Ranked lexically (no encoder), so the sentence scores are fixed by the entries' words.
"""

from __future__ import annotations

from bot.conversation.fitting import NOTHING_FITS, fits, nothing_fits
from bot.conversation.lookup import Lookup
from bot.knowledge.entries import FaqDocument, FaqHit
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.sentences import SentenceScorer

RETURNS = FaqDocument(
    1,
    "What is your return policy?",
    "You can return any unused item within 30 days. Returns within the country are free.",
    variants=("Can I return a jacket I bought two weeks ago?",),
)
GIFTS = FaqDocument(
    2, "你们卖礼品卡吗？", "有的，我们提供面值 10 至 500 美元的电子礼品卡。", language="zh"
)
SHIPPING = FaqDocument(3, "How much is shipping?", "Standard shipping costs $4.99.")


def scorer() -> SentenceScorer:
    index = FaqIndex(None)
    index.rebuild([RETURNS, GIFTS, SHIPPING])
    return SentenceScorer(index)


def lookup_with(hits: list[FaqHit]) -> Lookup:
    async def search(text: str) -> list[FaqHit]:
        return hits

    return Lookup(search, scorer(), confident=0.7)


def test_an_answer_sharing_no_word_or_kind_with_the_question_fits_nothing() -> None:
    sentences = scorer()
    assert nothing_fits(sentences, "is the blue jacket waterproof?", RETURNS)
    assert nothing_fits(sentences, "你们卖汽车吗", GIFTS)
    assert not nothing_fits(sentences, "how many days do I have to return an item?", RETURNS)
    assert fits(sentences, "are returns free?", [RETURNS])[1] >= NOTHING_FITS
    assert not nothing_fits(None, "is the blue jacket waterproof?", RETURNS)  # no scorer


async def test_a_partial_match_that_fits_nothing_is_dropped_but_a_fitting_one_kept() -> None:
    partial = [FaqHit(RETURNS, 0.6, 0.3), FaqHit(SHIPPING, 0.2, 0.05)]
    lookup = lookup_with(partial)
    assert (await lookup.find("is the blue jacket waterproof?", None)).hits == []
    assert (await lookup.find("can I return an unused item?", None)).hits == partial


async def test_a_confident_match_is_kept_even_when_no_sentence_fits() -> None:
    confident = [FaqHit(RETURNS, 0.9, 0.9)]
    lookup = lookup_with(confident)
    assert (await lookup.find("is the blue jacket waterproof?", None)).hits == confident
