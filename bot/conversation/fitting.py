"""How well a customer's message fits the sentences of candidate FAQ entries.

Retrieval ranks whole entries, mostly by their questions and phrasings; these functions look at
the answer's own sentences (``ranking.sentences.SentenceScorer``) to decide what retrieval
cannot see: which entry a follow-up really continues (``fits``; ``topical_fits`` leaves out the
kind of answer asked for), which sentence clearly answers a partial match (``best_sentence``),
and when a partial match is only a shared frame of words with nothing in its answer about the
question (``nothing_fits``). Split from ``lookup`` so each
stays readable; every function takes the scorer (None: no sentence scoring, nothing is decided).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.knowledge.entries import FaqDocument, FaqHit
from bot.knowledge.ranking.sentences import (
    KIND_BONUS,
    ScoredSentence,
    SentenceScorer,
    asked_kinds,
    given_kinds,
)

SENTENCE_ANSWERS = 0.55  # a sentence scoring this (and clearly ahead) answers a partial match
SENTENCE_MARGIN = 0.1  # ... ahead of the best sentence of any other entry by this much
ENTRY_WEIGHT = 0.3  # how much the entry's own confidence adds to its sentences' scores
# A partial match whose best answer sentence scores below this shares no rare word with the
# question and is no closer in meaning than the FAQ's average sentence: "is the blue jacket
# waterproof?" matched the return policy only through its phrasing "Can I return a jacket…",
# "你们卖汽车吗" the gift cards through the frame "你们卖…吗" (both score 0.0). The weakest right
# partial match of the dialogue set scores 0.05 ("我不用了，帮我把账号和资料都删掉").
NOTHING_FITS = 0.02


def fits(
    scorer: SentenceScorer | None, question: str, documents: Sequence[FaqDocument]
) -> dict[object, float]:
    """The best sentence score of ``question`` alone in each entry."""
    if scorer is None:
        return {}
    best: dict[object, float] = {}
    for sentence in scorer.score(question, documents):
        key = sentence.document.id
        best[key] = max(best.get(key, 0.0), sentence.score)
    return best


def topical_fits(
    scorer: SentenceScorer | None, question: str, documents: Sequence[FaqDocument]
) -> dict[object, float]:
    """Like ``fits``, without the bonus for giving the kind of answer asked: what the message's
    own words share with each entry. "what does a streaming subscription cost?" asks for a
    price, which every entry naming one gives; that alone is no sign the message is about it."""
    if scorer is None:
        return {}
    kinds = asked_kinds(question)
    best: dict[object, float] = {}
    for sentence in scorer.score(question, documents):
        value = sentence.score - (KIND_BONUS if kinds & given_kinds(sentence.text) else 0.0)
        key = sentence.document.id
        best[key] = max(best.get(key, 0.0), value)
    return best


def borrowable(
    scorer: SentenceScorer | None,
    question: str,
    on_topic: Sequence[FaqHit],
    first: FaqHit | None,
    needed: float,
    *,
    kind_counts: bool = False,
) -> FaqHit | None:
    """The entry of the conversation (``on_topic``) that a whole question may borrow, or None.

    It must fit the message's own words (``topical_fits`` at least ``needed``; with
    ``kind_counts``, ``fits``: giving the kind of answer asked counts too), and better than
    ``first``, the entry retrieval ranks first for the message alone, fits them.
    """
    documents = [hit.document for hit in on_topic] + ([first.document] if first else [])
    own = (fits if kind_counts else topical_fits)(scorer, question, documents)
    if not on_topic:
        return None
    top = max(on_topic, key=lambda hit: own.get(hit.document.id, 0.0))
    fit = own.get(top.document.id, 0.0)
    rival = own.get(first.document.id, 0.0) if first and first.document.id != top.document.id else 0
    return top if fit >= needed and rival < fit else None


def nothing_fits(scorer: SentenceScorer | None, question: str, document: FaqDocument) -> bool:
    """True when no sentence of the entry's answer has anything to do with ``question``."""
    if scorer is None:
        return False
    return fits(scorer, question, [document]).get(document.id, 0.0) < NOTHING_FITS


def best_sentence(
    scorer: SentenceScorer | None, question: str, hits: Sequence[FaqHit]
) -> ScoredSentence | None:
    """The sentence that clearly answers ``question`` among ``hits``' entries, if any.

    A sentence's value is its own score plus a share of its entry's confidence, so a
    sentence of an entry retrieval ranked nowhere needs to fit the question much better.
    """
    if scorer is None or not hits:
        return None
    confidence = {hit.document.id: hit.confidence for hit in hits}
    rated = [
        (s.score + ENTRY_WEIGHT * confidence[s.document.id], s)
        for s in scorer.score(question, [hit.document for hit in hits])
    ]
    if not rated:
        return None
    value, top = max(rated, key=lambda pair: pair[0])
    rival = max((v for v, s in rated if s.document.id != top.document.id), default=0.0)
    if value >= SENTENCE_ANSWERS and value - rival >= SENTENCE_MARGIN:
        return top
    return None
