"""``Outcome``: what the answer path decided to say, before it is stored and becomes a ``Reply``.

Kept apart from ``turns`` (which stores it) so that the parts that make outcomes (answering,
choices, the service) and the part that stores them share one plain value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.conversation.exchange import AnswerMode, Choice, Source
from bot.knowledge.entries import FaqId


@dataclass(slots=True)
class Outcome:
    """The reply to store and send, with how it was made."""

    text: str
    mode: AnswerMode
    faq_ids: list[FaqId] = field(default_factory=list)
    confidence: float = 0.0
    related: list[str] = field(default_factory=list)
    offer_human: bool = False
    unanswered: bool = False  # no confident answer: listed for the admins
    model: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    choices: list[Choice] = field(default_factory=list)  # "did you mean…" / the other question
    more: str = ""  # the rest of a focused entry
    more_ref: tuple[FaqId, tuple[int, ...]] | None = None
    sources: list[Source] = field(default_factory=list)  # articles of the passages used
