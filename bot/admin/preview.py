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
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from bot.conversation.policy import Action, Decision, Thresholds, decide
from bot.conversation.smalltalk import detect_smalltalk, wants_human
from bot.conversation.texts import Texts
from bot.knowledge.entries import FaqDocument, FaqHit
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.text.language import detect_language

SEARCH_K = 5
LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
T = TypeVar("T")


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
    """A private copy of ``index`` to try a draft on, in milliseconds rather than the seconds a
    deep copy of 10,000 entries takes: every container of the index and of its parts (lexical
    postings, phrasings, dense rows) is copied one level down, which is all that ``upsert`` and
    ``remove`` ever mutate; the immutable leaves (documents, term counts, vectors) are shared,
    and so is the encoder."""
    return _fork(index)


def _fork(obj: T) -> T:
    clone = copy.copy(obj)
    for name, value in _fields(obj):
        setattr(clone, name, _fork_value(value))
    return clone


def _fields(obj: object) -> list[tuple[str, object]]:
    if hasattr(obj, "__dict__"):
        return list(vars(obj).items())
    slots = getattr(type(obj), "__slots__", ())
    return [(name, getattr(obj, name)) for name in slots if hasattr(obj, name)]


def _is_part(value: object) -> bool:
    """A mutable part of the index (lexical, phrasings, dense rows: ``set``/``clear`` a slot)."""
    return (
        type(value).__module__.startswith("bot.knowledge.")
        and callable(getattr(value, "set", None))
        and callable(getattr(value, "clear", None))
    )


def _fork_value(value: object) -> object:
    if isinstance(value, LOCK_TYPES):
        return threading.RLock()
    if isinstance(value, np.ndarray | OrderedDict):
        return value.copy()
    if isinstance(value, dict):  # one more level: postings per term, slots per phrasing
        # (exact types only: term Counters per slot are replaced, never changed in place)
        return {key: _fork_item(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_fork_item(item) for item in value]
    if isinstance(value, set):
        return value.copy()
    return _fork(value) if _is_part(value) else value


def _fork_item(item: object) -> object:
    if type(item) in (dict, set, list):
        return item.copy()  # type: ignore[attr-defined]
    return _fork(item) if _is_part(item) else item


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
        return self.answer_and_hits(question, index)[0]

    def answer_and_hits(
        self, question: str, index: FaqIndex | None = None
    ) -> tuple[PreviewAnswer, list[FaqHit]]:
        """``answer``, with the entries and passages the search found (best first)."""
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
        return self._describe(decision, language), hits

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
