"""The answer policy: which kind of reply a message gets, as a pure function of what we know.

The bundled model often contradicts its context, so the curated FAQ answer is the backbone:
- small talk is answered from the locale texts, without retrieval;
- a customer asking for a person, or a message with nothing relevant in the FAQ, gets an honest
  "I don't know" with the offer of a human (``HANDOFF``);
- a confident match gets the curated answer word for word (plus up to two related questions);
- a partial match goes to the model with the top entries as context (``GENERATE``); whether the
  generated text is sent is decided later by the grounding check (see ``after_generation``);
  when it is not, the best entry is sent under "I'm not completely sure, but this may help";
- a partial match below ``FALLBACK_FLOOR`` is a guess that is wrong more often than right: it
  gets the hand-off too, before the model is asked (see the constant for the counts);
- except among help-centre passages: there a weak best passage still often has the right
  article near it, so passages of two or three articles are offered under "did you mean"
  (``article_choices``) down to ``PASSAGE_CHOICE_FLOOR``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.conversation.exchange import AnswerMode
from bot.conversation.smalltalk import Smalltalk
from bot.knowledge.entries import FaqHit
from bot.knowledge.ranking.thresholds import CONFIDENT_THRESHOLD, RELATED_THRESHOLD

MAX_RELATED_QUESTIONS = 2
MAX_CONTEXT_ENTRIES = 3
MAX_CHOICES = 3
CHOICE_GAP = 0.15  # entries within this confidence of a non-confident best are "close"
# Below this a partial match is handed off instead of guessed at ("this may help: <gift cards>"
# for "do you sell cars?"). Counted through open_app on main 0fbd83a, the best entry right /
# wrong by its confidence, 0.20-0.25 | 0.25-0.30 | 0.30-0.35: quebec dev 28/28 | 19/18 | 20/13,
# stackfaq dev 5/0 | 6/2 | 1/1, the English dev sets' open world (2,945 questions) 0/0 | 0/5 |
# 0/1, the demo FAQ's out-of-scope set 0/5 | 0/3 | 0/3, bench.dialogues' fallbacks 1/3 | 6/0 |
# 4/3; in all 34/36 | 31/28 | 25/21. Below 0.25 a guess is wrong more often than right.
FALLBACK_FLOOR = 0.25
# Passages (smart-TV manual dev, 201 questions, through open_app on 4734675): 109 best
# passages fell below the fallback floor; their article was first for 31, among the first
# three articles for 63. At 0.05 | 0.02 | 0.01 the other questions with the manual loaded
# reach it: the demo FAQ's out-of-scope set 8 | 10 | 11 of 129, stackfaq dev 8 | 19 | 29 of
# 389 — each then offered three manual articles instead of a person.
PASSAGE_CHOICE_FLOOR = 0.05


class Action(StrEnum):
    SMALLTALK = "smalltalk"
    FAQ = "faq"
    GENERATE = "generate"
    HANDOFF = "handoff"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Confidence cut-offs: ``confident`` answers verbatim, ``related`` is worth showing.

    The defaults are the knowledge package's, calibrated on the dev sets.
    """

    confident: float = CONFIDENT_THRESHOLD
    related: float = RELATED_THRESHOLD
    fallback: float = FALLBACK_FLOOR  # a best hit below it is handed off, not guessed at


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one message, and the FAQ hits that back it."""

    action: Action
    best: FaqHit | None = None
    context: tuple[FaqHit, ...] = ()  # entries for the prompt (GENERATE) or the fallback
    related: tuple[FaqHit, ...] = ()  # other questions to suggest under a FAQ answer
    smalltalk: Smalltalk | None = None
    asked_for_human: bool = False
    reasons: tuple[str, ...] = field(default=())

    @property
    def confidence(self) -> float:
        return self.best.confidence if self.best is not None else 0.0

    @property
    def answered_confidently(self) -> bool:
        """False means the question is recorded as unanswered for the admins."""
        return self.action in (Action.FAQ, Action.SMALLTALK) or self.asked_for_human


def decide(
    hits: Sequence[FaqHit],
    *,
    smalltalk: Smalltalk | None = None,
    asked_for_human: bool = False,
    limits: Thresholds = Thresholds(),
) -> Decision:
    """Choose the reply kind for a message with these ranked ``hits`` (best first)."""
    if asked_for_human:
        reason = "customer asked for a person"
        return Decision(Action.HANDOFF, asked_for_human=True, reasons=(reason,))
    if smalltalk is not None:
        reason = f"small talk: {smalltalk}"
        return Decision(Action.SMALLTALK, smalltalk=smalltalk, reasons=(reason,))
    ranked = sorted(hits, key=lambda hit: hit.confidence, reverse=True)
    offered = article_choices(ranked, limits)
    if offered is not None:
        return offered
    if not ranked or ranked[0].confidence < max(limits.related, limits.fallback):
        best = ranked[0] if ranked else None
        weak = best is not None and best.confidence >= limits.related
        reason = "only a guess below the fallback floor" if weak else "nothing relevant in the FAQ"
        return Decision(Action.HANDOFF, best=best, reasons=(reason,))
    best = ranked[0]
    others = tuple(hit for hit in ranked[1:] if hit.confidence >= limits.related)
    if best.confidence >= limits.confident:
        related = tuple(hit for hit in others if hit.document.question != best.document.question)[
            :MAX_RELATED_QUESTIONS
        ]
        return Decision(
            Action.FAQ, best=best, context=(best,), related=related, reasons=("confident match",)
        )
    context = (best, *others)[:MAX_CONTEXT_ENTRIES]
    return Decision(Action.GENERATE, best=best, context=context, reasons=("partial match",))


def article_choices(ranked: Sequence[FaqHit], limits: Thresholds) -> Decision | None:
    """ "Did you mean" over the articles of weak passages (one passage each, best first), when
    the best hit is a passage below the fallback floor: a partial match the conversation
    offers as choices rather than guesses at or hands off. None otherwise."""
    best = ranked[0] if ranked else None
    floor = max(limits.related, limits.fallback)
    if best is None or best.document.origin is None:
        return None
    if not PASSAGE_CHOICE_FLOOR <= best.confidence < floor:
        return None
    picks: list[FaqHit] = []
    for hit in ranked:
        origin = hit.document.origin
        if origin is None or hit.confidence < PASSAGE_CHOICE_FLOOR:
            continue
        if all(origin.article_id != other.document.origin.article_id for other in picks):  # type: ignore[union-attr]
            picks.append(hit)
    if len(picks) < 2:
        return None
    reason = "weak passages from several articles"
    return Decision(
        Action.GENERATE, best=best, context=tuple(picks[:MAX_CHOICES]), reasons=(reason,)
    )


def after_generation(decision: Decision, *, grounded: bool, generated_text: str) -> AnswerMode:
    """The mode of the reply once the model has answered (or failed) for a GENERATE decision.

    Grounded, non-empty text is sent as GENERATED; otherwise the best entry is sent as
    FALLBACK, or, with no entry at all, the hand-off offer.
    """
    if grounded and generated_text.strip():
        return AnswerMode.GENERATED
    if decision.best is not None:
        return AnswerMode.FALLBACK
    return AnswerMode.HANDOFF


def close_alternatives(decision: Decision, gap: float = CHOICE_GAP) -> tuple[FaqHit, ...]:
    """The entries to offer under "did you mean…", or () when guessing is better.

    Only for a partial match (no entry confident) whose runner-up is within ``gap`` of it: two or
    three entries, different questions, best first. One clear partial match is not a choice.
    """
    if decision.action is not Action.GENERATE or decision.best is None:
        return ()
    best = decision.best.confidence
    close: list[FaqHit] = []
    for hit in decision.context:
        if best - hit.confidence > gap:
            continue
        if all(hit.document.question != other.document.question for other in close):
            close.append(hit)
    return tuple(close[:MAX_CHOICES]) if len(close) >= 2 else ()
