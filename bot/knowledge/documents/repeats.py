"""One passage per repeated text in the index: a help centre says some things twice.

A manual's quick guide repeats its chapters word for word, help articles share a "contact us"
block, a site serves one page under two addresses. Indexed twice, the same text ranks twice:
the top hit has no margin over its copy, so it is never confident, and "did you mean" offers
the same thing twice. Storage keeps every copy (each article is whole in the console); the
index shows one per text — the newest (highest passage id): when a help centre repeats an
answer on a newer page, that page is the one being kept up to date. On the smart-TV manual 63
of 494 passages repeat, in 31 texts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.knowledge.documents.passages import passage_index_id
from bot.knowledge.entries import FaqDocument, PassageOrigin

_WORD = re.compile(r"\w+")


def text_key(text: str) -> str:
    """What makes two passages the same text: their words, in order, case folded."""
    return " ".join(_WORD.findall(text.casefold()))


class RepeatedPassages:
    """The mirrored passages grouped by text, and which one of each group the index shows."""

    def __init__(self) -> None:
        self._documents: dict[int | str, FaqDocument] = {}
        self._key_of: dict[int | str, str] = {}
        self._groups: dict[str, set[int | str]] = {}
        self._shown: dict[str, int | str] = {}

    @property
    def mirrored(self) -> set[int | str]:
        """The ids of every passage mirrored, repeats included (what storage holds)."""
        return set(self._key_of)

    @property
    def shown(self) -> int:
        """How many passages the index holds (one per distinct text)."""
        return len(self._shown)

    def change(
        self, gone: Iterable[int | str], added: Iterable[FaqDocument]
    ) -> tuple[list[str], list[FaqDocument]]:
        """Passages removed from storage and passages added (``origin`` set): the index ids
        to remove and the documents to upsert so that each text is shown once."""
        touched: set[str] = set()
        for passage_id in gone:
            key = self._key_of.pop(passage_id, None)
            if key is not None:
                self._documents.pop(passage_id, None)
                self._groups[key].discard(passage_id)
                touched.add(key)
        for document in added:
            origin = document.origin
            assert isinstance(origin, PassageOrigin)
            key = text_key(document.answer)
            self._documents[origin.passage_id] = document
            self._key_of[origin.passage_id] = key
            self._groups.setdefault(key, set()).add(origin.passage_id)
            touched.add(key)
        removals: list[str] = []
        upserts: list[FaqDocument] = []
        for key in touched:
            group = self._groups.get(key) or set()
            newest = max(group, key=_order) if group else None
            shown = self._shown.get(key)
            if shown is not None and shown != newest:
                removals.append(passage_index_id(shown))
            if newest is None:
                self._shown.pop(key, None)
                self._groups.pop(key, None)
            else:
                self._shown[key] = newest
                upserts.append(self._documents[newest])
        return removals, upserts


def _order(passage_id: int | str) -> tuple[int, str]:
    return (passage_id, "") if isinstance(passage_id, int) else (-1, passage_id)
