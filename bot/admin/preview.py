"""What the bot would answer to a question, before and after an unsaved FAQ edit.

The same retrieval (language of the question first, then any language) and the same answer
policy as ``ConversationService``, on the live index ("before") and on a temporary copy of it
with the draft applied ("after"). Nothing is stored and the live index is never touched. A
partial match is shown as what the model would be asked with, not generated: a preview must be
instant and the model's words are checked against those entries anyway.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass

from bot.conversation.policy import Action, Decision, Thresholds, decide
from bot.conversation.smalltalk import detect_smalltalk, wants_human
from bot.conversation.texts import Texts
from bot.knowledge.documents import FaqDocument, FaqHit
from bot.knowledge.index import FaqIndex
from bot.knowledge.language import detect_language

SEARCH_K = 5


@dataclass(frozen=True, slots=True)
class PreviewAnswer:
    """One predicted reply: its kind, text, the entry behind it and the confidence."""

    mode: str
    text: str
    entry_id: int | str | None
    entry_question: str | None
    confidence: float
    reason: str


def index_copy(index: FaqIndex) -> FaqIndex:
    """A private copy of ``index`` to try a draft on; the encoder and the (append-only) text
    vector caches are shared, so copying costs the term postings only, not re-encoding."""
    memo = {
        id(index.encoder): index.encoder,
        id(index._lock): threading.RLock(),  # a copy needs its own lock
        id(index._vectors): dict(index._vectors),
        id(index._query_cache): index._query_cache.copy(),
    }
    return copy.deepcopy(index, memo)


def search_like_customer(index: FaqIndex, question: str, default_language: str) -> list[FaqHit]:
    """Entries in the language the question is written in, else in any language."""
    written = detect_language(question, default=default_language)
    hits = index.search(question, k=SEARCH_K, language=written)
    return hits or index.search(question, k=SEARCH_K)


class AnswerPreview:
    """Predicts replies on the live index or on a copy with one entry changed."""

    def __init__(
        self, index: FaqIndex, texts: Texts, *, default_language: str, limits: Thresholds
    ) -> None:
        self.index = index
        self.texts = texts
        self.default_language = default_language
        self.limits = limits

    def answer(self, question: str, index: FaqIndex | None = None) -> PreviewAnswer:
        """What the bot would reply to ``question`` (on ``index``, default the live one)."""
        question = question.strip()
        language = detect_language(question, default=self.default_language)
        smalltalk = detect_smalltalk(question)
        asked = wants_human(question)
        hits = (
            []
            if smalltalk or asked
            else search_like_customer(index or self.index, question, self.default_language)
        )
        decision = decide(hits, smalltalk=smalltalk, asked_for_human=asked, limits=self.limits)
        return self._describe(decision, language)

    def before_after(
        self, question: str, draft: FaqDocument, *, enabled: bool, replaces: int | None
    ) -> tuple[PreviewAnswer, PreviewAnswer]:
        """The reply now, and the reply if ``draft`` were saved (``replaces``: its entry id)."""
        before = self.answer(question)
        trial = index_copy(self.index)
        if replaces is not None:
            trial.remove(replaces)
        if enabled:
            trial.upsert(draft)
        return before, self.answer(question, trial)

    def _describe(self, decision: Decision, language: str) -> PreviewAnswer:
        best = decision.best
        entry_id = best.document.id if best else None
        entry_question = best.document.question if best else None
        reason = ", ".join(decision.reasons)
        if decision.action is Action.SMALLTALK and decision.smalltalk is not None:
            text = self.texts.get(decision.smalltalk.value, language)
            return PreviewAnswer("smalltalk", text, None, None, 0.0, reason)
        if decision.action is Action.HANDOFF:
            key = "handoff_requested" if decision.asked_for_human else "dont_know"
            text = self.texts.get(key, language)
            return PreviewAnswer(
                "handoff", text, entry_id, entry_question, decision.confidence, reason
            )
        assert best is not None
        if decision.action is Action.FAQ:
            return PreviewAnswer(
                "faq", best.document.answer, entry_id, entry_question, best.confidence, reason
            )
        context = ", ".join(f"#{hit.document.id}" for hit in decision.context)
        text = f"(the model writes an answer from entries {context}; if it is not grounded:)\n"
        return PreviewAnswer(
            "generated",
            text + best.document.answer,
            entry_id,
            entry_question,
            best.confidence,
            reason,
        )
