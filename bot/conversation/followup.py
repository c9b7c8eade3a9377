"""Follow-up questions: what an earlier turn of this session lends to the next message.

"and for express?", "how long does that take?", "那国际的呢？" cannot be answered alone; with the
question before them they can. ``context_of`` decides what, if anything, a message may borrow:
only the exchange just before it, only when the bot answered it from the FAQ, and never across
a new session (``/reset`` or the idle TTL open one, and a new session has no earlier turns) or a
hand-off to people. A hand-off leaves a trace even when nobody wrote during it: starting and
ending it moves the session's last activity past the bot's last reply, and an agent's message or
a customer message the bot did not answer sits between the turns.

``looks_dependent`` is the cue detector: pronouns and connectives that point back ("that",
"it", "and…", "what about…", "那…呢", "这个"), or a fragment that names no topic of its own
("express?", "how long?", "国际的"). A short but complete question ("Do you ship
internationally?") is not a fragment. The same words also frame whole questions on a new
subject without pointing anywhere, and those uses are not cues: "is there parking…?", "is it
possible to pay in instalments?", "one of your catalogues", "your kettles", "this weekend",
"这个咖啡机…" (a demonstrative naming its own thing), "你们也收二手手机吗？" (does the shop
*also* do something).

``stays_on`` and ``open_topic`` are what ``lookup`` asks of the entry just answered when a
dependent message comes: does the message still concern it, and if not, which tags it opened.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.conversation.exchange import PASSAGE_PREFIX
from bot.knowledge.entries import FaqHit, FaqId
from bot.knowledge.ranking.sentences import given_kinds
from bot.knowledge.text.language import detect_language, is_han
from bot.knowledge.text.tokens import tokenize

ANSWERED_MODES = frozenset({"faq", "generated", "fallback"})
CHOICE_MODE = "choice"
MAX_CONTEXT_QUESTIONS = 2  # a chain of follow-ups borrows from at most two earlier questions
FRAGMENT_TERMS = 1  # a message with at most this many topic terms may be a fragment
FIT_NEEDED = 0.35  # sentence score of the new message alone that lets the prior entry keep it
MOVE_MARGIN = 0.15  # another entry must fit the new message this much better to move on
# Words of a question's frame, not its topic: "how long?" names nothing to look up.
# Chinese frames of duration, price and "what now" likewise: "多少天之内", "要另外收费吗", "怎么办".
_FRAME_TERMS = frozenset(
    {"how", "much", "many", "long", "often", "soon", "ok", "okay", "多久", "多长时间", "多少钱"}
    | {"天", "几天", "之内", "以内", "另外", "收费", "要钱", "怎么办", "怎么", "么办"}
)
_EN_CUE = re.compile(
    r"^\s*(and|also|or|but|so|then|ok|okay|what about|how about|what if|and if|same for)\b"
    r"|\b(that|it|this|those|these|them|one|there|mine|yours)\b",
    re.IGNORECASE,
)
# Uses of those words that point nowhere: existential "there", a placeholder "it", "one of X".
_EN_NOT_POINTING = re.compile(
    r"\b(is|are|was|were|isn't|aren't)\s+there\b|\bthere\s+(is|are|was|were|isn't|aren't)\b"
    r"|\b(is|was)\s+it\s+(possible|ok|okay|allowed|normal|safe|true)\b"
    r"|\bit(?:'s|\s+is)\s+(possible|ok|okay|allowed)\s+to\b"
    r"|\bone\s+of\b"
    r"|\b(this|that|next|last)\s+(morning|afternoon|evening|night|week|weekend|month|year)\b",
    re.IGNORECASE,
)
_ZH_DEMONSTRATIVE = re.compile(r"(这个|那个|这款|那款|这种|那种)(?=([\u4e00-\u9fff]{2,}))")
_ZH_SHOP_ALSO = re.compile(r"(你们|您们)(也|还)")  # "你们也收…吗": does the shop also…
_ZH_CUE = re.compile(
    r"^\s*(那|那么|还有|另外|这样|那样|如果|具体)|呢\s*[？?]?\s*$|这个|那个|它|这种|那种|也|还[会能要可有]"
    # Chinese drops the subject it already named: "买礼品卡能用吗？" (can *it*, the code, be
    # used?), "摔坏了管不管？" (does *it*, the warranty, cover a fall?).
    r"|(能用吗|可以用吗|管不管|管吗|算不算|行不行|行吗)\s*[？?]?\s*$"
)


# An English sentence framed as a question of its own: "do you ship…?", "can I pay…?".
_EN_QUESTION = re.compile(
    r"^\s*(do|does|did|can|could|will|would|is|are|was|were|should|may|must|have|has|"
    r"how|what|when|where|why|which|who)\s+\w+\s+\w+",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Earlier:
    """One stored message of the session, as follow-up detection needs it."""

    role: str
    text: str
    mode: str | None
    faq_ids: tuple[FaqId, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FollowUpContext:
    """What the next message may borrow: earlier questions and the entries they got."""

    questions: tuple[str, ...]  # oldest first
    faq_ids: tuple[FaqId, ...]  # the entries (or passages) of the last answer: its topic


_SAME_FOR = re.compile(
    r"^\s*(and|or)?\s*(what|how) about\b|^\s*and (for|on|in|with|if)\b|^\s*same for\b"
    r"|^\s*那.{1,12}呢|^.{1,10}呢\s*[？?]?\s*$",
    re.IGNORECASE,
)


def asks_same_for(text: str) -> bool:
    """True for "what about X?", "and for X?", "那X呢？": the last question, for another X."""
    return bool(_SAME_FOR.search(text))


def looks_dependent(text: str) -> bool:
    """True when a message points back to earlier turns or is a fragment of a question."""
    return points_back(text) or is_fragment(text)


def points_back(text: str) -> bool:
    """True when a pronoun or connective of the message points back ("that", "那…呢", "也")."""
    plain = _without_frames(text)
    return bool(_EN_CUE.search(plain) or _ZH_CUE.search(plain))


def _without_frames(text: str) -> str:
    """``text`` without the uses of cue words that point nowhere (see the module docstring)."""
    plain = _EN_NOT_POINTING.sub(" ", text)
    plain = _ZH_SHOP_ALSO.sub(r"\1", plain)
    return _ZH_DEMONSTRATIVE.sub(lambda m: "" if _names_a_thing(m.group(2)) else m.group(1), plain)


def _names_a_thing(rest: str) -> bool:
    """True when ``rest`` (what follows 这个/那款…) starts with a word of its own: "咖啡机能…"
    names the coffee machine, while "多少钱" or "能退吗" ask about the thing named before."""
    words = tokenize(rest[:8])
    return (
        bool(words)
        and len(words[0]) >= 2
        and rest.startswith(words[0])
        and (words[0] not in _FRAME_TERMS)
    )


def topic_terms(text: str) -> set[str]:
    """The words of a message that name what it is about (not "how long", "please")."""
    return set(tokenize(text)) - _FRAME_TERMS


def is_fragment(text: str) -> bool:
    """A message naming at most one topic word and, in English, no question frame of its own
    ("express?", "how long?", "国际的", "运费多少？"); "Do you ship internationally?" is whole."""
    terms = topic_terms(text)
    if not terms:
        return True
    if len(terms) > FRAGMENT_TERMS:
        return False
    if any(is_han(char) for char in text):
        return True  # Chinese drops the subject it already named: "运费多少？" (to Japan)
    return not _EN_QUESTION.match(text)


def context_of(
    earlier: Sequence[Earlier], last_activity: datetime | None, *, message: str
) -> FollowUpContext | None:
    """The context ``message`` may use, or None (see the module docstring).

    ``earlier``: the session's recent messages, oldest first; ``last_activity``: the session's
    last activity *before* the new message (None for a new session). A customer who switches
    language asks anew: the answer must come from the entries of their new language.
    """
    if len(earlier) < 2 or last_activity is None:
        return None
    reply = earlier[-1]
    # A "did you mean" question and the customer's pick sit between a question and its answer.
    at = len(earlier) - 2
    while at > 0 and earlier[at].role == "assistant" and earlier[at].mode == CHOICE_MODE:
        at -= 1
    question = earlier[at]
    if reply.role != "assistant" or question.role != "user" or not reply.faq_ids:
        return None
    if reply.mode not in ANSWERED_MODES:
        return None
    language = detect_language(question.text)
    if detect_language(message, default=language) != language:
        return None
    if _naive(last_activity) > _naive(reply.created_at):  # a hand-off began (and ended) since
        return None
    questions = [question.text]
    # A follow-up answered from context may itself need its own predecessor ("how long until it
    # arrives?" -> "and express?" -> "how much is that?"), and so may a question that stayed on
    # the entry before it ("can't remember my password" -> "the email never came", both the
    # password entry -> "how long is the link good for?").
    if at >= 2:
        before_reply, before = earlier[at - 1], earlier[at - 2]
        same_topic = bool(set(before_reply.faq_ids) & set(reply.faq_ids))
        if (
            before_reply.role == "assistant"
            and before.role == "user"
            and before_reply.mode in ANSWERED_MODES
            and (same_topic or looks_dependent(question.text))
        ):
            questions.insert(0, before.text)
    return FollowUpContext(tuple(questions[-MAX_CONTEXT_QUESTIONS:]), reply.faq_ids)


def _naive(moment: datetime) -> datetime:
    """Compare stored (possibly naive, SQLite) and aware timestamps as UTC wall times."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)


def stays_on(
    question: str,
    fits: dict[object, float],
    context: FollowUpContext,
    answers_kind: set[object],
    chosen_alone: object | None,
) -> object | None:
    """The conversation's entry when the new message still is about it, else None.

    A message pointing back ("does that cost anything?") stays when the entry gives the
    kind of answer asked for, or fits about as well as any other. A message that names a
    topic of its own which retrieval confidently places elsewhere moves there ("I forgot my
    password. How do I reset it?" points back to itself, not to the account deletion asked
    before).
    """
    prior = [(fit, key) for key, fit in fits.items() if entry_key(key) in context.faq_ids]
    if not prior:
        return None
    prior_fit, key = max(prior, key=lambda pair: pair[0])
    other = max((fit for k, fit in fits.items() if entry_key(k) not in context.faq_ids), default=0)
    if prior_fit < FIT_NEEDED:
        # "and for a sofa?" after a warranty answer: a new value for the same question,
        # which nothing else fits either.
        slot = asks_same_for(question) and other < FIT_NEEDED
        return key if slot else None
    if answers_kind and key not in answers_kind:
        return None  # it cannot answer "how much" / "how long" / "how do I"
    if chosen_alone not in (None, key):
        return None
    if key in answers_kind or other - prior_fit < MOVE_MARGIN:
        return key
    return None


def open_topic(
    candidates: dict[object, FaqHit],
    prior_ids: set[int],
    fits: dict[object, float],
    asked: set[str],
) -> set[str]:
    """The tags of the entry just answered when it cannot answer this message (nothing in it
    fits, or not the kind asked): its siblings by tag are then the likeliest next topic."""
    return {
        tag
        for key, hit in candidates.items()
        if entry_key(key) in prior_ids
        and (
            fits.get(key, 0.0) < FIT_NEEDED
            or bool(asked and not asked & given_kinds(hit.document.answer))
        )
        for tag in hit.document.tags
    }


def entry_key(value: object) -> FaqId | None:
    """An entry id as stored in ``FollowUpContext.faq_ids``: an entry's number, a passage's
    "passage:<id>" (a follow-up continues a passage as it continues an entry); None otherwise."""
    if isinstance(value, str) and value.startswith(PASSAGE_PREFIX):
        return value
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return None


def torn_fragment(question: str, first: FaqHit | None, stay: object, confident: float) -> bool:
    """True when a fragment naming one thing and pointing nowhere ("退款几天到？" after a
    return question) stays with the topic while the message alone is confidently another
    entry: either may be meant, so the topic is offered as a partial match and the message's
    own entry after it, neither stated as fact (``Lookup._rank``)."""
    return (
        first is not None
        and first.confidence >= confident
        and first.document.id != stay
        and len(topic_terms(question)) == FRAGMENT_TERMS
        and not points_back(question)
    )


def capped(hits: list[FaqHit], ceiling: float) -> list[FaqHit]:
    """``hits`` with no confidence above ``ceiling`` (same order)."""
    return [FaqHit(h.document, h.score, min(h.confidence, ceiling)) for h in hits]
