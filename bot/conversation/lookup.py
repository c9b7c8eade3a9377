"""Finding the entries that answer a message, using the conversation and sentence scores.

``Lookup.find`` is retrieval as the conversation sees it:
- a message that stands on its own is searched alone, also mid-conversation (a customer who
  changes the subject gets the new subject's answer, never the old one's); when retrieval cannot
  place it, the entry the conversation is about may answer it, only as a partial match and only
  when the message's own words fit one of that entry's sentences (``_borrowed``);
- a follow-up ("and for express?") is also searched together with the earlier question(s), and
  each candidate entry is rated by the better of the two searches, plus a bonus for the entry the
  conversation is already about when the new message fits one of its sentences (so "how long
  does that take?" after "do you ship abroad?" stays with international shipping, while
  "那国际的呢？" after a question on delivery times moves on to international shipping);
- ``split_questions`` cuts "I want to change the address, also can I cancel?" into two.

``best_sentence`` rates the sentences of a few candidate entries; a partial match whose best
sentence clearly answers the question is answered with that entry, focused on that sentence.
A standalone partial match whose answer has no sentence about the question at all is dropped
(see ``fitting.nothing_fits``): the customer gets the offer of a person, not a guess.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.conversation.fitting import best_sentence, borrowable, fits, nothing_fits, topical_fits
from bot.conversation.followup import (
    FIT_NEEDED,
    FRAGMENT_TERMS,
    FollowUpContext,
    asks_same_for,
    capped,
    entry_key,
    looks_dependent,
    open_topic,
    points_back,
    stays_on,
    topic_terms,
    torn_fragment,
)
from bot.knowledge.entries import FaqDocument, FaqHit
from bot.knowledge.ranking.sentences import ScoredSentence, SentenceScorer, asked_kinds, given_kinds

Search = Callable[[str], Awaitable[list[FaqHit]]]

ALONE_SHARE_DEPENDENT = 0.6  # what the search of a dependent message alone counts
STALE_PENALTY = 0.5  # the entry just sent, when the new message fits none of its sentences
KIND_PENALTY = 0.2  # an entry giving no answer of the kind asked ("how much", "how long")
WEAK = 0.2  # a rating below this: nothing really fits the follow-up
STILL_ON_TOPIC = 0.45  # a partial match: the entry pointed back to, when nothing else fits
FOLLOWUP_CONFIDENCE = 0.8  # a dependent follow-up that stays with the entry just answered
FIT_WEIGHT = 0.3  # how much the new message's best sentence in an entry counts in a follow-up
PARTIAL_MARGIN = 0.01  # a whole question resolved with the conversation stays below confident
BORROW_FIT = 0.25  # the message's own words in the borrowed entry's best sentence (no kind bonus)
TOPIC_BONUS = 0.1  # a follow-up pointing back: entries sharing a tag with the entry answered
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
        """Hits for ``question``, resolved with ``context`` when it is a follow-up.

        Only a message that needs the conversation (it points back, or is a fragment: see
        ``looks_dependent``) is searched with it. A whole question is searched alone even
        mid-conversation, so a customer who changes the subject never gets the earlier topic's
        answer ("how long does the speaker's battery last?" after a delivery question).
        """
        alone = await self.search(question)
        dependent = context is not None and looks_dependent(question)
        confident = bool(alone) and alone[0].confidence >= self.confident
        if context is None or (confident and not dependent):
            return Found(await self._standalone(question, alone, after_reset=context is None))
        joint = await self.search(" ".join([*context.questions, question]))
        if dependent:
            ranked = await asyncio.to_thread(self._rank, question, alone, joint, context)
        else:
            borrowed = await asyncio.to_thread(self._borrowed, question, alone, joint, context)
            if borrowed is None:  # nothing of the earlier topic fits: a new subject
                return Found(await self._standalone(question, alone, after_reset=False))
            ranked = borrowed
        first = _first(alone)
        moved = bool(ranked) and (first is None or ranked[0].document.id != first.document.id)
        return Found(ranked, used_context=moved)

    def _borrowed(
        self, question: str, alone: list[FaqHit], joint: list[FaqHit], context: FollowUpContext
    ) -> list[FaqHit] | None:
        """A whole question that retrieval cannot place alone, resolved with the conversation
        ("how long will the fix take?" after a warranty claim, "the email never came" after a
        password reset): the entry the conversation is about may answer it only when the
        message's own words fit one of its sentences (not merely the kind of answer asked:
        "what does spotify cost?" fits every entry that names a price; unless the message
        names one thing at most, "how long do I have to tell you?"), and no entry the
        message alone ranks first fits them as well ("how can I see what's left on my voucher?"
        after a cancellation is about the voucher). Even then it is a partial match, never a
        confident one ("Will child care services be maintained?" after a delivery question
        must not get the delivery times stated as fact). None: the earlier topic cannot help."""
        on_topic = [h for h in [*joint, *alone] if entry_key(h.document.id) in context.faq_ids]
        # A question naming one thing at most ("how long do I have to tell you?" after a
        # damaged parcel) asks its kind of answer of the topic: that kind is what fits.
        generic = len(topic_terms(question)) <= FRAGMENT_TERMS
        first = _first(alone)
        top = borrowable(self.scorer, question, on_topic, first, BORROW_FIT, kind_counts=generic)
        if top is None:
            return None
        partial = self.confident - PARTIAL_MARGIN  # what the earlier topic lends: not more
        rest = [
            FaqHit(hit.document, hit.score, min(hit.confidence, partial))
            for hit in alone
            if hit.document.id != top.document.id
        ]
        return [FaqHit(top.document, top.score, partial), *rest]

    async def _standalone(
        self, question: str, alone: list[FaqHit], *, after_reset: bool
    ) -> list[FaqHit]:
        """The hits of a message answered on its own (see ``find``)."""
        if not alone or alone[0].confidence >= self.confident:
            return alone
        if after_reset and asks_same_for(question):
            # "加急呢？" with nothing before it (a new session, after /reset): there is no
            # question to borrow, so a partial match would be a guess at what was asked.
            return []
        # A partial match whose answer says nothing about the question ("is the blue jacket
        # waterproof?" -> the return policy): nothing in the FAQ is relevant.
        unrelated = await asyncio.to_thread(nothing_fits, self.scorer, question, alone[0].document)
        return [] if unrelated else alone

    def _rank(
        self,
        question: str,
        alone: list[FaqHit],
        joint: list[FaqHit],
        context: FollowUpContext,
    ) -> list[FaqHit]:
        """Candidates of a dependent message's two searches, best first (see the module
        docstring).

        The conversation *stays* with the entry just answered when the new message fits one of
        its sentences about as well as any other entry's (a follow-up's own words are generic,
        "how long would that take?", so the searches' confidence is a poor guide there);
        otherwise the candidates are rated by the better search and how well they fit.
        """
        candidates = {**{h.document.id: h for h in alone}, **{h.document.id: h for h in joint}}
        fits = self._fits(question, [hit.document for hit in candidates.values()])
        asked = asked_kinds(question)
        rated = self._rate(asked, alone, joint, fits, context)
        rated.sort(key=lambda item: -item[0])
        if not rated:
            return []
        answers_kind = {
            hit.document.id for _, hit in rated if asked & given_kinds(hit.document.answer)
        }
        first = _first(alone)
        named = self._names_own_topic(question, candidates.values(), context)
        chosen = (
            first.document.id if named and first and first.confidence >= self.confident else None
        )
        stay = stays_on(question, fits, context, answers_kind, chosen)
        torn = stay is not None and torn_fragment(question, first, stay, self.confident)
        if stay is not None:
            top = next(hit for _, hit in rated if hit.document.id == stay)
            floor = FOLLOWUP_CONFIDENCE
        elif chosen is not None and first is not None and not points_back(question):
            # It names its own subject, which retrieval places confidently, and points at
            # nothing said before ("and on gift cards?" does): it moves there.
            top = next(hit for _, hit in rated if hit.document.id == chosen)
            floor = first.confidence
        else:
            value, top = rated[0]
            floor = value
            prior = next((h for _, h in rated if entry_key(h.document.id) in context.faq_ids), None)
            others_answer = prior is not None and bool(answers_kind - {prior.document.id})
            if value < WEAK and prior is not None and not others_answer:
                # Nothing fits "can I reserve one?" well: the topic it points back to is the
                # best guess, offered as a partial match ("I'm not completely sure…").
                top, floor = prior, STILL_ON_TOPIC
        rest = _demoted(rated, top)
        if torn:  # the topic first as a partial match (capped below), the message's own entry next
            rest = capped(rest, self.confident - 2 * PARTIAL_MARGIN)
        # The policy ranks by confidence: the chosen entry must stay first.
        floor = max([floor, *(hit.confidence for hit in rest)])
        confidence = min(1.0, max(top.confidence, floor))
        if torn or (stay is None and not self._own(top, alone, fits)):
            # torn, or only the joint search made it confident: a guess, never stated as fact
            confidence = min(confidence, self.confident - PARTIAL_MARGIN)
        return [FaqHit(top.document, top.score, confidence), *rest]

    def _names_own_topic(
        self, question: str, candidates: Iterable[FaqHit], context: FollowUpContext
    ) -> bool:
        """True when the message has words of its own, so that retrieval placing it confidently
        elsewhere means it is about something else. "how long would that take?" names nothing:
        its generic best match is no evidence against the topic. A fragment of one word that
        points nowhere and shares nothing with the entry just answered but the kind of answer
        asked names its subject ("保修多久？" after a delivery-time answer is about the warranty).
        """
        terms = len(topic_terms(question))
        if terms != FRAGMENT_TERMS or points_back(question):
            return terms > FRAGMENT_TERMS
        prior = [h.document for h in candidates if entry_key(h.document.id) in context.faq_ids]
        own = topical_fits(self.scorer, question, prior)
        return max(own.values(), default=0.0) < BORROW_FIT

    def _own(self, top: FaqHit, alone: list[FaqHit], fits: dict[object, float]) -> bool:
        """True when the message itself supports ``top``: retrieval of the message alone is
        confident in it, or one of its sentences fits the message."""
        key = top.document.id
        alone_of = {hit.document.id: hit.confidence for hit in alone}
        return alone_of.get(key, 0.0) >= self.confident or fits.get(key, 0.0) >= FIT_NEEDED

    def _rate(
        self,
        asked: set[str],
        alone: list[FaqHit],
        joint: list[FaqHit],
        fits: dict[object, float],
        context: FollowUpContext,
    ) -> list[tuple[float, FaqHit]]:
        """Each candidate of both searches with its rating (unsorted), see ``_rank``."""
        joint_of = {hit.document.id: hit for hit in joint}
        alone_of = {hit.document.id: hit for hit in alone}
        candidates = {**alone_of, **joint_of}
        # A message that points back means the joint question; alone it is half a question.
        alone_share = ALONE_SHARE_DEPENDENT
        prior_ids = set(context.faq_ids)
        alone_top = alone[0] if alone and alone[0].confidence >= WEAK else None
        topic = open_topic(candidates, prior_ids, fits, asked)
        rated: list[tuple[float, FaqHit]] = []
        for entry_id, hit in candidates.items():
            confidence = max(
                joint_of[entry_id].confidence if entry_id in joint_of else 0.0,
                alone_share * alone_of[entry_id].confidence if entry_id in alone_of else 0.0,
            )
            value = confidence + FIT_WEIGHT * fits.get(entry_id, 0.0)
            # The message alone matching an entry confidently ("什么时候扣钱？" -> payment
            # methods, "how do I make one?" -> accounts) outweighs the coarse cues below.
            chosen_alone = entry_id in alone_of and alone_of[entry_id].confidence >= self.confident
            if asked and not asked & given_kinds(hit.document.answer) and not chosen_alone:
                value -= KIND_PENALTY  # "how much is that?" needs an entry that names a price
            if topic & set(hit.document.tags) and entry_key(entry_id) not in prior_ids:
                value += TOPIC_BONUS  # "具体怎么操作？" after a return question: the return steps
            stale = entry_key(entry_id) in prior_ids and fits.get(entry_id, 0.0) < FIT_NEEDED
            # ... and the message alone ranking the entry first says something in it fits.
            first_alone = alone_top is not None and alone_top.document.id == entry_id
            if stale and not (chosen_alone or first_alone):
                value -= STALE_PENALTY  # already said, and nothing in it fits the new message
            rated.append((value, FaqHit(hit.document, hit.score, confidence)))
        return rated

    def _fits(self, question: str, documents: Sequence[FaqDocument]) -> dict[object, float]:
        """The best sentence score of ``question`` alone in each entry."""
        return fits(self.scorer, question, documents)

    def best_sentence(self, question: str, hits: Sequence[FaqHit]) -> ScoredSentence | None:
        """The sentence that clearly answers ``question`` among ``hits``' entries, if any."""
        return best_sentence(self.scorer, question, hits)


def _demoted(rated: list[tuple[float, FaqHit]], top: FaqHit) -> list[FaqHit]:
    """The other candidates; those the rating pushed down (stale, or unable to give the kind
    asked) must not look close to the chosen one to the policy ("did you mean" between them)."""
    return [
        FaqHit(hit.document, hit.score, max(0.0, min(hit.confidence, value)))
        for value, hit in rated
        if hit.document.id != top.document.id
    ]


def _first(hits: list[FaqHit]) -> FaqHit | None:
    return hits[0] if hits else None
