"""Finding the entries that answer a message, using the conversation and sentence scores.

``Lookup.find`` is retrieval as the conversation sees it:
- a message that stands on its own is searched alone;
- a follow-up ("and for express?") is also searched together with the earlier question(s), and
  each candidate entry is rated by the better of the two searches, plus a bonus for the entry the
  conversation is already about when the new message fits one of its sentences (so "how long
  does that take?" after "do you ship abroad?" stays with international shipping, while
  "那国际的呢？" after a question on delivery times moves on to international shipping);
- ``split_questions`` cuts "I want to change the address, also can I cancel?" into two.

``best_sentence`` rates the sentences of a few candidate entries; a partial match whose best
sentence clearly answers the question is answered with that entry, focused on that sentence.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.conversation.followup import FollowUpContext, looks_dependent
from bot.knowledge.documents import FaqHit
from bot.knowledge.sentences import ScoredSentence, SentenceScorer

Search = Callable[[str], Awaitable[list[FaqHit]]]

PRIOR_BONUS = 0.25  # the conversation's own entry, when the new message fits one of its sentences
FIT_WEIGHT = 0.3  # how much the new message's best sentence in an entry counts in a follow-up
FIT_NEEDED = 0.3  # sentence score of the new message alone that lets the prior entry keep it
SENTENCE_ANSWERS = 0.65  # a sentence scoring this (and clearly ahead) answers a partial match
SENTENCE_MARGIN = 0.1  # ... ahead of the best sentence of any other entry by this much
ENTRY_WEIGHT = 0.3  # how much the entry's own confidence adds to its sentences' scores
_SPLIT = re.compile(
    r"(?:[,;，；]\s*|\s+)(?:and also|also|plus|besides|another question|by the way)\b[,:]?\s*"
    r"|[?？]\s+(?=\S)"
    r"|[，,；;。]?\s*(?:另外|还有|顺便问一下|顺便问下|顺便)[，,：:]?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Found:
    """Ranked hits for a message; ``used_context`` says an earlier turn changed them."""

    hits: list[FaqHit]
    used_context: bool = False


def split_questions(text: str) -> list[str]:
    """The separate questions in one message (one item when it asks one thing)."""
    parts = [part.strip(" ,;，；") for part in _SPLIT.split(text)]
    parts = [part for part in parts if len(part) >= 2]
    return parts if len(parts) > 1 else [text.strip()]


class Lookup:
    """Conversation-aware retrieval over a search function and a sentence scorer."""

    def __init__(self, search: Search, scorer: SentenceScorer | None, *, confident: float) -> None:
        self.search = search
        self.scorer = scorer
        self.confident = confident

    async def find(self, question: str, context: FollowUpContext | None) -> Found:
        """Hits for ``question``, resolved with ``context`` when it is a follow-up."""
        alone = await self.search(question)
        if context is None:
            return Found(alone)
        dependent = looks_dependent(question)
        if not dependent and alone and alone[0].confidence >= self.confident:
            return Found(alone)
        joint = await self.search(" ".join([*context.questions, question]))
        ranked = await asyncio.to_thread(self._rank, question, alone, joint, context, dependent)
        first = _first(alone)
        moved = bool(ranked) and (first is None or ranked[0].document.id != first.document.id)
        return Found(ranked, used_context=moved)

    def _rank(
        self,
        question: str,
        alone: list[FaqHit],
        joint: list[FaqHit],
        context: FollowUpContext,
        dependent: bool,
    ) -> list[FaqHit]:
        best: dict[object, FaqHit] = {}
        for hit in [*joint, *alone]:
            known = best.get(hit.document.id)
            if known is None or hit.confidence > known.confidence:
                best[hit.document.id] = hit
        fits = self._fits(question, [hit.document for hit in best.values()])
        rated: list[tuple[float, FaqHit]] = []
        for entry_id, hit in best.items():
            fit = fits.get(entry_id, 0.0)
            value = hit.confidence + FIT_WEIGHT * fit
            if dependent and _as_int(entry_id) in context.faq_ids and fit >= FIT_NEEDED:
                value += PRIOR_BONUS
            rated.append((value, hit))
        rated.sort(key=lambda pair: -pair[0])
        if not rated:
            return []
        # The policy reads confidence: the chosen entry keeps the best confidence any search
        # gave it, and is never ranked below an entry it beat.
        top_value, top = rated[0]
        lifted = FaqHit(top.document, top.score, min(1.0, max(top.confidence, top_value - 0.3)))
        return [lifted, *(hit for _, hit in rated[1:])]

    def _fits(self, question: str, documents: Sequence[object]) -> dict[object, float]:
        """The best sentence score of ``question`` alone in each entry."""
        if self.scorer is None:
            return {}
        fits: dict[object, float] = {}
        for sentence in self.scorer.score(question, documents):  # type: ignore[arg-type]
            key = sentence.document.id
            fits[key] = max(fits.get(key, 0.0), sentence.score)
        return fits

    def best_sentence(self, question: str, hits: Sequence[FaqHit]) -> ScoredSentence | None:
        """The sentence that clearly answers ``question`` among ``hits``' entries, if any.

        A sentence's value is its own score plus a share of its entry's confidence, so a
        sentence of an entry retrieval ranked nowhere needs to fit the question much better.
        """
        if self.scorer is None or not hits:
            return None
        confidence = {hit.document.id: hit.confidence for hit in hits}
        rated = [
            (s.score + ENTRY_WEIGHT * confidence[s.document.id], s)
            for s in self.scorer.score(question, [hit.document for hit in hits])
        ]
        if not rated:
            return None
        value, top = max(rated, key=lambda pair: pair[0])
        rival = max((v for v, s in rated if s.document.id != top.document.id), default=0.0)
        if value >= SENTENCE_ANSWERS and value - rival >= SENTENCE_MARGIN:
            return top
        return None


def _first(hits: list[FaqHit]) -> FaqHit | None:
    return hits[0] if hits else None


def _as_int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None
