"""Plain values that retrieval works on: one FAQ entry (``FaqDocument``) and one ranked hit.

They are frozen so an index can hand the same object to many concurrent callers, and they carry no
database types so the knowledge package stays testable without storage.
"""

from __future__ import annotations

from dataclasses import dataclass

FaqId = int | str


@dataclass(frozen=True, slots=True)
class FaqDocument:
    """One FAQ entry as retrieval sees it."""

    id: FaqId  # database id (int) or dataset id (str)
    question: str
    answer: str
    variants: tuple[str, ...] = ()  # alternative phrasings: how customers really ask
    tags: tuple[str, ...] = ()
    language: str = "en"


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
