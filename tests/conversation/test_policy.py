"""Every branch of the answer policy, as a pure function."""

from __future__ import annotations

from bot.conversation.exchange import AnswerMode
from bot.conversation.policy import Action, Thresholds, after_generation, decide
from bot.conversation.smalltalk import Smalltalk
from bot.knowledge.entries import FaqHit
from tests.conversation.conftest import HOURS, LIMITS, RETURNS, SHIPPING


def hit(doc, confidence):  # type: ignore[no-untyped-def]
    return FaqHit(doc, score=confidence, confidence=confidence)


def test_confident_match_answers_from_the_faq_with_related_questions() -> None:
    decision = decide([hit(SHIPPING, 0.9), hit(RETURNS, 0.5), hit(HOURS, 0.1)], limits=LIMITS)
    assert decision.action is Action.FAQ
    assert decision.best is not None and decision.best.document is SHIPPING
    assert [h.document for h in decision.related] == [RETURNS]
    assert decision.answered_confidently


def test_partial_match_generates_from_the_relevant_entries_only() -> None:
    decision = decide([hit(HOURS, 0.6), hit(RETURNS, 0.35), hit(SHIPPING, 0.2)], limits=LIMITS)
    assert decision.action is Action.GENERATE
    assert [h.document for h in decision.context] == [HOURS, RETURNS]
    assert not decision.answered_confidently


def test_nothing_relevant_hands_off() -> None:
    assert decide([hit(HOURS, 0.1)], limits=LIMITS).action is Action.HANDOFF
    assert decide([], limits=LIMITS).action is Action.HANDOFF


def test_a_request_for_a_person_wins_over_a_confident_match() -> None:
    decision = decide([hit(SHIPPING, 0.99)], asked_for_human=True, limits=LIMITS)
    assert decision.action is Action.HANDOFF and decision.asked_for_human


def test_smalltalk_needs_no_hits() -> None:
    decision = decide([], smalltalk=Smalltalk.THANKS, limits=LIMITS)
    assert (decision.action, decision.smalltalk) == (Action.SMALLTALK, Smalltalk.THANKS)


def test_hits_are_ranked_by_confidence_not_by_input_order() -> None:
    decision = decide([hit(RETURNS, 0.4), hit(SHIPPING, 0.95)], limits=LIMITS)
    assert decision.best is not None and decision.best.document is SHIPPING


def test_after_generation_sends_only_grounded_text() -> None:
    partial = decide([hit(HOURS, 0.6)], limits=LIMITS)
    assert after_generation(partial, grounded=True, generated_text="Opens 9:30.") is (
        AnswerMode.GENERATED
    )
    assert after_generation(partial, grounded=False, generated_text="x") is AnswerMode.FALLBACK
    assert after_generation(partial, grounded=True, generated_text=" ") is AnswerMode.FALLBACK
    empty = decide([], limits=LIMITS)
    assert after_generation(empty, grounded=False, generated_text="") is AnswerMode.HANDOFF


def test_a_weak_guess_below_the_fallback_floor_hands_off() -> None:
    limits = Thresholds(confident=0.8, related=0.2, fallback=0.3)
    weak = decide([hit(HOURS, 0.25), hit(RETURNS, 0.22)], limits=limits)
    assert weak.action is Action.HANDOFF and weak.best is not None
    assert weak.reasons == ("only a guess below the fallback floor",)
    assert decide([hit(HOURS, 0.1)], limits=limits).reasons == ("nothing relevant in the FAQ",)
    assert decide([hit(HOURS, 0.35)], limits=limits).action is Action.GENERATE
