"""A stored passage as the index sees it: one ``FaqDocument`` with a ``PassageOrigin``.

Passages share the FAQ's index, so they are the same plain value; only their ids differ:
``passage:<id>`` never collides with a FAQ entry's integer id, and the conversation layer tells
a passage from an entry by ``origin``.
"""

from __future__ import annotations

from bot.knowledge.entries import FaqDocument, PassageOrigin

PASSAGE_ID_PREFIX = "passage:"


def passage_index_id(passage_id: int | str) -> str:
    """The id a passage has in the index."""
    return f"{PASSAGE_ID_PREFIX}{passage_id}"


def is_passage_id(index_id: object) -> bool:
    """True for an index id made by ``passage_index_id``."""
    return isinstance(index_id, str) and index_id.startswith(PASSAGE_ID_PREFIX)


def passage_document(origin: PassageOrigin, text: str, *, language: str = "en") -> FaqDocument:
    """The index's view of one passage: its heading path is what it is "about" (the question
    side of an entry), its text what it says (the answer side)."""
    return FaqDocument(
        id=passage_index_id(origin.passage_id),
        question=origin.label,
        answer=text,
        language=language,
        origin=origin,
    )
