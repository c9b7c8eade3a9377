"""What a channel hands the core (``Incoming``) and what it gets back (``Reply``).

These are plain values so that channels (Telegram, terminal, CLI) stay thin adapters and the
core never imports a channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


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

    faq_id: int
    question: str


@dataclass(slots=True)
class Reply:
    """The stored answer to one ``Incoming``."""

    text: str
    mode: AnswerMode
    language: str
    session_id: int | None = None
    user_message_id: int | None = None
    message_id: int | None = None
    faq_ids: list[int] = field(default_factory=list)
    confidence: float = 0.0
    latency_ms: int = 0
    related_questions: list[str] = field(default_factory=list)
    offer_human: bool = False
    # "Did you mean…": entries to pick from (tapping one sends it, see ConversationService.choose)
    choices: list[Choice] = field(default_factory=list)
    # The rest of a focused entry (``text`` leads with the sentences that answer the question);
    # ``more_ref`` names it for a "more" button: (entry id, positions of the lead sentences).
    more: str = ""
    more_ref: tuple[int, tuple[int, ...]] | None = None

    def __post_init__(self) -> None:
        # A Reply rebuilt from JSON (a channel's stored answer) has dicts and lists here.
        self.choices = [c if isinstance(c, Choice) else Choice(**c) for c in self.choices]
        if self.more_ref is not None:
            entry_id, lead = self.more_ref
            self.more_ref = (int(entry_id), tuple(int(i) for i in lead))
