"""Replies made of the business's own FAQ sentences: focused, several, or "did you mean…".

- ``faq``: a confident entry, led by the one or two sentences that answer *this* question (the
  rest follows in ``Outcome.more``); short entries whole (see ``bot.knowledge.ranking.sentences``).
- ``rescue``: a partial match whose best sentence clearly answers the question is answered with
  that entry, focused, instead of the whole best entry under "I'm not completely sure".
- ``choice``: two or three entries close in score and none confident: ask which one.
- ``several``: a message asking two things gets each answered (or offered).
- ``fallback``: what the customer sees when the model's text was not used.
Nothing here writes text: every answer is a subsequence of an entry's sentences.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.exchange import AnswerMode, Choice, Source
from bot.conversation.lookup import Lookup
from bot.conversation.outcome import Outcome
from bot.conversation.policy import Action, Decision, Thresholds, close_alternatives, decide
from bot.conversation.texts import Texts
from bot.knowledge.entries import FaqDocument, FaqHit
from bot.knowledge.ranking.sentences import (
    Focus,
    SentenceScorer,
    asked_kinds,
    given_kinds,
    split_sentences,
)

RESCUE_CANDIDATES = 4  # entries whose sentences may answer a partial match


class Composer:
    """Builds the FAQ-made outcomes of the answer path."""

    def __init__(
        self, texts: Texts, scorer: SentenceScorer | None, lookup: Lookup, limits: Thresholds
    ) -> None:
        self.texts = texts
        self.scorer = scorer
        self.lookup = lookup
        self.limits = limits

    def from_faq(
        self, question: str, decision: Decision, hits: Sequence[FaqHit], language: str
    ) -> Outcome | None:
        """The reply made of FAQ sentences for a FAQ or GENERATE decision; None when only
        the model can help (a partial match that no sentence answers and no choice fits)."""
        best = decision.best
        assert best is not None
        candidates = hits[:RESCUE_CANDIDATES]
        if decision.action is Action.FAQ:
            related = [hit.document.question for hit in decision.related]
            missing = self.kind_missing(question, best)  # "退货要钱吗" -> the "free" sentence
            rescued = self.rescue(question, decision, candidates, language) if missing else None
            return rescued or self.faq(question, best, related)
        # Close entries: ask rather than guess; but when the best entry cannot give the kind
        # of answer asked for, a sentence that does comes first ("is there a fee…" ->
        # "Returns within the country are free").
        if self.kind_missing(question, best):
            return self.rescue(question, decision, candidates, language) or self.choice(
                decision, language
            )
        return self.choice(decision, language) or self.rescue(
            question, decision, candidates, language
        )

    def focus(self, question: str, hit: FaqHit) -> Focus:
        """The entry split for this question (whole when there is nothing to focus with)."""
        if self.scorer is not None:
            return self.scorer.focus(question, hit.document)
        sentences = tuple(split_sentences(hit.document.answer)) or (hit.document.answer,)
        return Focus(hit.document, sentences, tuple(range(len(sentences))), 0.0)

    def faq(self, question: str, hit: FaqHit, related: Sequence[str] = ()) -> Outcome:
        """A confident (or rescued) entry, focused on the question."""
        focus = self.focus(question, hit)
        entry_id = hit.document.id
        body = focus.lead_text if focus.focused else hit.document.answer
        return Outcome(
            self.with_source(body, hit.document, hit.document.language),
            AnswerMode.FAQ,
            faq_ids=[entry_id],
            confidence=hit.confidence,
            related=list(related),
            more=focus.rest_text if focus.focused else "",
            more_ref=(entry_id, focus.lead) if focus.focused else None,
            sources=sources_of([hit.document]),
        )

    def with_source(self, body: str, document: FaqDocument, language: str) -> str:
        """``body`` followed by "From: Article › Section" when it is a passage's text: the
        customer sees where it comes from (a curated FAQ entry speaks for the business)."""
        if document.origin is None:
            return body
        line = self.texts.get("source_line", language, source=document.origin.label)
        return f"{body}\n\n{line}"

    @staticmethod
    def kind_missing(question: str, hit: FaqHit) -> bool:
        """True when the question asks a price/duration/steps the entry does not give."""
        asked = asked_kinds(question)
        return bool(asked) and not asked & given_kinds(hit.document.answer)

    def rescue(
        self,
        question: str,
        decision: Decision,
        candidates: Sequence[FaqHit] = (),
        language: str = "en",
    ) -> Outcome | None:
        """The entry whose sentence clearly answers a partial match, focused; else None.

        Only a sentence that gives the kind of answer asked for (a price for "is there a
        fee…", a duration for "how long…") counts: on the dev sets, partial matches rescued by
        sentence similarity alone were right only 67% (quebec) to 80% (stackfaq) of the time,
        too often to be sent without "I'm not completely sure"; and even with the kind
        required, 3 of 16 (quebec) and 4 of 7 (stackfaq) were right. So the sentence is sent
        focused, but under "I'm not completely sure" and with a person offered.
        """
        candidates = candidates or decision.context
        sentence = self.lookup.best_sentence(question, candidates)
        if sentence is None or not asked_kinds(question) & given_kinds(sentence.text):
            return None
        hit = next(h for h in candidates if h.document.id == sentence.document.id)
        return self.fallback(question, hit, language)

    def choice(self, decision: Decision, language: str) -> Outcome | None:
        """ "Did you mean…" with the close entries, or None when they are not close."""
        options = close_alternatives(decision)
        if not options:
            return None
        return Outcome(
            self.texts.get("did_you_mean", language),
            AnswerMode.CHOICE,
            faq_ids=[hit.document.id for hit in options],
            confidence=decision.confidence,
            choices=[Choice(h.document.id, h.document.question) for h in options],
            unanswered=True,
        )

    def handoff(self, decision: Decision, language: str) -> Outcome:
        """ "I'll pass you to a person" when asked, else "I don't know" and the offer of one."""
        if decision.asked_for_human:
            text = self.texts.get("handoff_requested", language)
            return Outcome(text, AnswerMode.HANDOFF, offer_human=True)
        text = f"{self.texts.get('dont_know', language)} {self.texts.get('offer_human', language)}"
        return Outcome(
            text,
            AnswerMode.HANDOFF,
            confidence=decision.confidence,
            offer_human=True,
            unanswered=True,
        )

    def fallback(self, question: str, best: FaqHit, language: str) -> Outcome:
        """The best entry, focused, under "I'm not completely sure", with a person offered."""
        focus = self.focus(question, best)
        intro = self.texts.get("fallback_intro", language)
        offer = self.texts.get("offer_human", language)
        body = focus.lead_text if focus.focused else best.document.answer
        body = self.with_source(body, best.document, language)
        entry_id = best.document.id
        return Outcome(
            f"{intro}\n\n{body}\n\n{offer}",
            AnswerMode.FALLBACK,
            faq_ids=[entry_id],
            confidence=best.confidence,
            offer_human=True,
            unanswered=True,
            more=focus.rest_text if focus.focused else "",
            more_ref=(entry_id, focus.lead) if focus.focused else None,
            sources=sources_of([best.document]),
        )

    async def several(self, parts: Sequence[str], language: str) -> Outcome | None:
        """Each question of a two-question message answered (or offered); None when the
        message does not really ask two different things the FAQ knows."""
        answered: list[Outcome] = []
        offered: list[Choice] = []
        seen: set[object] = set()
        for part in parts:
            hits = (await self.lookup.find(part, None)).hits
            decision = decide(hits, limits=self.limits)
            best = decision.best
            if best is None or decision.action is Action.HANDOFF or best.document.id in seen:
                continue
            seen.add(best.document.id)
            if decision.action is Action.FAQ:
                answered.append(self.faq(part, best))
                continue
            offered.append(Choice(best.document.id, best.document.question))
        if not answered or len(answered) + len(offered) < 2:
            return None
        return Outcome(
            "\n\n".join(outcome.text for outcome in answered),
            AnswerMode.FAQ,
            faq_ids=[i for outcome in answered for i in outcome.faq_ids],
            confidence=min(outcome.confidence for outcome in answered),
            choices=offered,
            sources=[s for outcome in answered for s in outcome.sources],
        )


def sources_of(documents: Sequence[FaqDocument]) -> list[Source]:
    """The articles of the passages among ``documents``, each once, in order."""
    found: list[Source] = []
    for document in documents:
        origin = document.origin
        if origin is not None:
            source = Source(origin.label, origin.url)
            if source not in found:
                found.append(source)
    return found
