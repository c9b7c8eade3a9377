"""Plain values that retrieval works on: one FAQ entry (``FaqDocument``) and one ranked hit.

They are frozen so an index can hand the same object to many concurrent callers, and they carry no
database types so the knowledge package stays testable without storage.
"""

from __future__ import annotations

from dataclasses import dataclass

FaqId = int | str


@dataclass(frozen=True, slots=True)
class PassageOrigin:
    """Where a passage of a help-centre article comes from: what the source line shows.

    ``FaqDocument.origin`` is None for a curated FAQ entry; a passage carries this instead
    (its ``question`` is the heading path, its ``answer`` the passage's text).
    """

    passage_id: int | str  # passages row id (or a dataset's own id in `eval`)
    article_id: int | str  # the article (documents row) it was cut from
    title: str  # the article's title
    heading_path: tuple[str, ...] = ()  # headings below the title: ("Display", "Night mode")
    url: str | None = None  # the article's address, when it has one
    position: int = 0  # order of the passage within its article

    @property
    def label(self) -> str:
        """ "Article › Section › Subsection": how a reply names its source."""
        return " › ".join((self.title, *self.heading_path))


@dataclass(frozen=True, slots=True)
class FaqDocument:
    """One FAQ entry, or one passage of an article, as retrieval sees it."""

    id: FaqId  # database id (int) or dataset id (str)
    question: str
    answer: str
    variants: tuple[str, ...] = ()  # alternative phrasings: how customers really ask
    tags: tuple[str, ...] = ()
    language: str = "en"
    origin: PassageOrigin | None = None  # set for a passage of a help-centre article


@dataclass(frozen=True, slots=True)
class FaqHit:
    """One ranked search result."""

    document: FaqDocument
    score: float  # raw fused score (comparable within one search only)
    confidence: float  # calibrated in [0, 1]: probability that this hit is the right entry
    reranked: bool = False  # ranked and judged by the mpnet reranker (see ``rerank``)


def primary_language(code: str) -> str:
    """ "zh-Hans" -> "zh", "EN_us" -> "en"."""
    return code.strip().lower().replace("_", "-").split("-")[0]


def embedded_texts(document: FaqDocument) -> list[str]:
    """The texts whose embeddings represent ``document`` (its score is the best of them)."""
    texts = [document.question, f"{document.question}\n{document.answer}", *document.variants]
    return list(dict.fromkeys(text for text in texts if text.strip()))
