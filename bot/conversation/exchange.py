"""What a channel hands the core (``Incoming``) and what it gets back (``Reply``).

These are plain values so that channels (Telegram, terminal, CLI) stay thin adapters and the
core never imports a channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.knowledge.entries import FaqId

PASSAGE_PREFIX = "passage:"  # a help-centre passage's id (see bot.knowledge.documents.passages)
REF_PASSAGE = "p"  # its short form in a button's data: "p12"


class AnswerMode(StrEnum):
    """How a reply was produced; stored with every bot message."""

    FAQ = "faq"  # the curated answer of a confident FAQ match, word for word
    GENERATED = "generated"  # model text grounded in FAQ entries and checked against them
    HANDOFF = "handoff"  # nothing relevant or the customer asked for a person
    SMALLTALK = "smalltalk"  # greeting, thanks, goodbye: answered without retrieval
    FALLBACK = "fallback"  # generation failed or was not supported: best entry or apology
    HUMAN = "human"  # session is with a human agent; the bot stays silent
    RATE_LIMITED = "rate_limited"  # flood control: stored, not sent to the model
    CHOICE = "choice"  # "did you mean…": close entries offered, the customer picks one


def without_lone_surrogates(text: str) -> str:
    """``text`` with every lone UTF-16 surrogate (an undecodable byte from a terminal, a
    ``\ud800`` in JSON) replaced by U+FFFD and split surrogate pairs joined: no database or
    Telegram call can encode those, so the message is kept instead of refused."""
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@dataclass(frozen=True, slots=True)
class Incoming:
    """One customer message, channel-neutral."""

    user_id: int
    chat_id: int
    text: str
    channel: str = "console"
    language_hint: str | None = None
    user_name: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", without_lone_surrogates(self.text))


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry offered under "did you mean…" (or the other half of a two-question message)."""

    faq_id: FaqId  # a FAQ entry's id, or "passage:<id>" for a help-centre passage
    question: str


@dataclass(frozen=True, slots=True)
class Source:
    """Where a reply's passage comes from: "Article › Section", and its address if any."""

    label: str
    url: str | None = None


def entry_ref(entry_id: FaqId) -> str:
    """An entry or passage id as button data: "12" or "p34" (Telegram allows 64 bytes)."""
    text = str(entry_id)
    if text.startswith(PASSAGE_PREFIX):
        return REF_PASSAGE + text.removeprefix(PASSAGE_PREFIX)
    return text


def parse_entry_ref(ref: object) -> FaqId:
    """``entry_ref`` read back (an int stays an int); ValueError for anything else."""
    text = str(ref).strip()
    if text.startswith(PASSAGE_PREFIX):
        text = REF_PASSAGE + text.removeprefix(PASSAGE_PREFIX)
    if text.startswith(REF_PASSAGE) and text[1:].isdigit():
        return PASSAGE_PREFIX + text[1:]
    return int(text)


@dataclass(slots=True)
class Reply:
    """The stored answer to one ``Incoming``."""

    text: str
    mode: AnswerMode
    language: str
    session_id: int | None = None
    user_message_id: int | None = None
    message_id: int | None = None
    faq_ids: list[FaqId] = field(default_factory=list)  # entries or passages answered from
    confidence: float = 0.0
    latency_ms: int = 0
    related_questions: list[str] = field(default_factory=list)
    offer_human: bool = False
    # "Did you mean…": entries to pick from (tapping one sends it, see ConversationService.choose)
    choices: list[Choice] = field(default_factory=list)
    # The rest of a focused entry (``text`` leads with the sentences that answer the question);
    # ``more_ref`` names it for a "more" button: (entry id, positions of the lead sentences).
    more: str = ""
    more_ref: tuple[FaqId, tuple[int, ...]] | None = None
    sources: list[Source] = field(default_factory=list)  # the articles a passage came from

    def __post_init__(self) -> None:
        # A Reply rebuilt from JSON (a channel's stored answer) has dicts and lists here.
        self.choices = [c if isinstance(c, Choice) else Choice(**c) for c in self.choices]
        self.sources = [s if isinstance(s, Source) else Source(**s) for s in self.sources]
        if self.more_ref is not None:
            entry_id, lead = self.more_ref
            self.more_ref = (parse_entry_ref(entry_id), tuple(int(i) for i in lead))
