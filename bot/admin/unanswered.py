"""Grouping of unanswered customer questions, so admins fix a topic once, not ten times.

Questions are compared by their retrieval terms (stemmed words, Chinese words and bigrams), so
"where is my parcel?" and "my parcel, where is it" land together across word order and case.
When customers answered "did you mean…" for questions of a group, the entry they picked most is
the group's ``suggested_entry``: one tap adds the group's wordings as phrasings of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.knowledge.text.tokens import tokenize

SIMILAR_ENOUGH = 0.5  # Jaccard overlap of term sets that puts two questions in one group


@dataclass(slots=True)
class QuestionGroup:
    """Similar questions; ``text`` is the first (newest) one, shown to the admin."""

    text: str
    message_ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    terms: set[str] = field(default_factory=set)
    suggested_entry: int | None = None  # the entry customers picked for these questions
    picks: int = 0  # how many of the questions got that pick

    @property
    def size(self) -> int:
        return len(self.message_ids)


def similarity(left: set[str], right: set[str]) -> float:
    """Jaccard overlap of two term sets (0 when either is empty)."""
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def group_questions(
    questions: Sequence[tuple[int, str]], chosen: Mapping[int, int] | None = None
) -> list[QuestionGroup]:
    """Greedy single-pass grouping of (message id, text), largest groups first; ``chosen``
    maps a question's message id to the entry the customer picked for it."""
    groups: list[QuestionGroup] = []
    for message_id, text in questions:
        text = text.strip()
        if not text:
            continue
        terms = set(tokenize(text)) or {text.casefold()}
        best = max(groups, key=lambda g: similarity(g.terms, terms), default=None)
        if best is not None and similarity(best.terms, terms) >= SIMILAR_ENOUGH:
            best.message_ids.append(message_id)
            if text not in best.texts:
                best.texts.append(text)
            continue
        groups.append(QuestionGroup(text=text, message_ids=[message_id], texts=[text], terms=terms))
    for group in groups:
        picks = Counter(c for i in group.message_ids if (c := (chosen or {}).get(i)) is not None)
        if picks:
            group.suggested_entry, group.picks = picks.most_common(1)[0]
    groups.sort(key=lambda g: g.size, reverse=True)
    return groups
