"""A documents dataset and the figures `supportbot eval` prints for it (issue 19).

A documents dataset is ``{"name", "source", "license", "documents": [{"id", "title", "url",
"markdown"}], "queries": [{"query", "doc_id", "section", "answer", "kind"}]}``: articles, and
questions whose gold is an article and the article's answering text. Articles are ranked by
their best passage (``article_ranks``); a reply is scored by how much of the gold answer's
content words it carries (``answer_share``), so an answer from the right article that leaves out
what was asked does not count as answered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.knowledge.documents.extraction import Article, article_from_markdown
from bot.knowledge.entries import FaqHit
from bot.knowledge.text.tokens import tokenize

ANSWERED_AT = 0.5  # a reply holding half of the gold answer's content words answered it
TWIN_OVERLAP = 0.8  # articles sharing this share of their word triples are the same text


@dataclass(frozen=True, slots=True)
class DocumentQuery:
    """One labelled question of a documents dataset."""

    query: str
    doc_id: str
    answer: str
    kind: str
    section: str


def is_documents_dataset(path: Path) -> bool:
    """True when ``path`` holds articles ("documents") rather than FAQ entries."""
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return isinstance(data, dict) and "documents" in data


def load_documents_dataset(path: Path) -> tuple[dict[str, Article], list[DocumentQuery]]:
    """Dataset id -> its article (read as `docs add` reads Markdown), and the questions."""
    data = json.loads(path.read_text(encoding="utf-8"))
    articles = {
        str(doc["id"]): article_from_markdown(
            doc["markdown"], name=str(doc.get("title") or doc["id"]), url=doc.get("url")
        )
        for doc in data["documents"]
    }
    queries = [
        DocumentQuery(
            query=q["query"],
            doc_id=str(q["doc_id"]),
            answer=q.get("answer", ""),
            kind=q.get("kind", ""),
            section=q.get("section", ""),
        )
        for q in data["queries"]
    ]
    return articles, queries


def article_ranks(hits: Sequence[FaqHit]) -> list[int | str]:
    """The articles of ranked hits, best first, each once (FAQ entries are left out)."""
    ranked: list[int | str] = []
    for hit in hits:
        origin = hit.document.origin
        if origin is not None and origin.article_id not in ranked:
            ranked.append(origin.article_id)
    return ranked


def answer_share(reply: str, answer: str) -> float | None:
    """The share of the gold answer's content words found in ``reply`` (None: no words)."""
    wanted = set(tokenize(answer))
    if not wanted:
        return None
    return len(wanted & set(tokenize(reply))) / len(wanted)


def _triples(text: str) -> set[tuple[str, ...]]:
    words = re.sub(r"[^\w]+", " ", text.lower()).split()
    return set(zip(words, words[1:], words[2:], strict=False))


def twin_articles(articles: dict[str, Article]) -> dict[str, set[str]]:
    """Dataset id -> the other articles with (nearly) the same text: a manual that repeats a
    chapter in its quick guide has two articles a question cannot tell apart. Reported beside
    the strict figures, never instead of them."""
    shingles = {key: _triples(article.markdown) for key, article in articles.items()}
    twins: dict[str, set[str]] = {key: set() for key in articles}
    keys = sorted(articles)
    for i, first in enumerate(keys):
        for second in keys[i + 1 :]:
            a, b = shingles[first], shingles[second]
            if a and b and len(a & b) / len(a | b) >= TWIN_OVERLAP:
                twins[first].add(second)
                twins[second].add(first)
    return twins


def rate(count: int, total: int) -> float:
    """``count / total`` rounded for printing (0 when there is nothing to count)."""
    return round(count / total, 4) if total else 0.0


def summary(values: dict[str, Any]) -> dict[str, Any]:
    """The figures in the order the issue lists them, then the rest."""
    order = [
        "article_at_1",
        "article_at_5",
        "mrr_at_10",
        "confident_precision",
        "confident_coverage",
        "automation_rate",
        "answer_recall",
        "answered_with_gold",
        "modes",
        "queries",
    ]
    return {key: values[key] for key in order if key in values} | {
        key: value for key, value in values.items() if key not in order
    }
