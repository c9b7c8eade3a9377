"""Which model looks again at an uncertain hit, for the entries and questions of each language.

English questions that MiniLM is unsure of are re-ranked by mpnet (``rerank``) when it is
loaded, and e5's agreement with each re-ranked hit feeds its confidence; otherwise, and for the
languages mpnet does not serve, e5 gives its second opinion on the top hit (``second_opinion``).
Each keeps vectors only of the entries it may look at.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.knowledge.encoders.base import TextEncoder
from bot.knowledge.encoders.routing import encoder_parts
from bot.knowledge.entries import FaqDocument, primary_language
from bot.knowledge.ranking.rerank import Reranker
from bot.knowledge.ranking.second_opinion import SecondOpinion


class SecondLooks:
    """The e5 second opinion and the mpnet reranker of one ``FaqIndex`` (slots as in it)."""

    def __init__(self, encoder: TextEncoder | None, space_for: Callable[[str], int | None]) -> None:
        self.second = SecondOpinion(encoder)
        self.reranker = Reranker(encoder)
        self._parts = encoder_parts(encoder)
        self._space_for = space_for

    def reranks(self, language: str) -> bool:
        """True when mpnet re-ranks ``language``'s uncertain questions."""
        return self.reranker.covers(self._part(language), primary_language(language))

    def reviews(self, language: str) -> bool:
        """True when e5 looks at ``language``'s uncertain top hits: its second opinion, or
        its agreement as a feature of the reranker's confidence."""
        return self.second.covers(self._part(language))

    def rebuild(self, documents: list[FaqDocument]) -> None:
        """Vectors for ``documents`` (slot = position), replacing all others."""
        numbered = list(enumerate(documents))
        self.second.rebuild([(n, d) for n, d in numbered if self.reviews(d.language)])
        self.reranker.rebuild([(n, d) for n, d in numbered if self.reranks(d.language)])

    def prefetch(self, documents: list[FaqDocument]) -> None:
        """Encode the new texts of ``documents`` in one batch before they are ``set``."""
        self.second.prefetch([d for d in documents if self.reviews(d.language)])
        self.reranker.prefetch([d for d in documents if self.reranks(d.language)])

    def set(self, slot: int, document: FaqDocument | None) -> None:
        """The vectors of one entry (None: removed)."""
        language = document.language if document is not None else ""
        self.second.set(slot, document if document and self.reviews(language) else None)
        self.reranker.set(slot, document if document and self.reranks(language) else None)

    def _part(self, language: str) -> TextEncoder | None:
        if not (self.second.active or self.reranker.active):
            return None
        space = self._space_for(language)
        return self._parts[space] if space is not None else None
