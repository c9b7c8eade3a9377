"""Retrieval quality on a labelled dataset: P@1, R@5, MRR@10 and the confident mode's precision.

Used by `supportbot eval`, bench/retrieval.py and the tests, so every number we quote is computed
one way. A dataset is the ``dev.json`` schema: ``faq`` entries and ``queries`` with a gold
``faq_id`` (or ``faq_ids``).

``automation_rate`` is the share of questions answered confidently *and* correctly (confident
precision x coverage): questions closed without a person and without a wrong answer.
``open_world_rate`` counts confident answers to questions the FAQ cannot answer; ``with_learned``
attaches some labelled queries to their entries as phrasings, as admins do when they accept a
suggestion, to measure how the FAQ improves with use.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.knowledge.entries import FaqDocument, FaqHit, FaqId
from bot.knowledge.faq.faqfile import read_faq_file
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.thresholds import CONFIDENT_THRESHOLD
from bot.knowledge.text.language import detect_language

LabelledQuery = tuple[str, set[FaqId]]


def load_dataset(path: Path | str) -> tuple[list[FaqDocument], list[LabelledQuery]]:
    """FAQ documents and (query, gold ids) pairs of a ``dev.json``-style file."""
    path = Path(path)
    records = read_faq_file(path)
    documents = [record.to_document(fallback_id=number) for number, record in enumerate(records)]
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    queries: list[LabelledQuery] = []
    for item in data.get("queries", []) if isinstance(data, dict) else []:
        gold = item.get("faq_ids", item.get("faq_id"))
        ids = set(gold) if isinstance(gold, list) else {gold}
        queries.append((str(item["query"]), ids))
    return documents, queries


def retrieval_metrics(
    index: FaqIndex,
    queries: Sequence[LabelledQuery],
    threshold: float = CONFIDENT_THRESHOLD,
    language: str | None = None,
) -> dict[str, float | int]:
    """Ranking quality of ``index`` on ``queries`` and how the confident mode would fare."""
    hits_at_1 = recall_at_5 = reciprocal_ranks = 0.0
    confident = confident_right = 0
    for query, gold in queries:
        hits = index.search(query, k=10, language=language)
        ranked = [hit.document.id for hit in hits]
        rank = next((i for i, doc_id in enumerate(ranked, start=1) if doc_id in gold), None)
        if rank == 1:
            hits_at_1 += 1
        if rank is not None and rank <= 5:
            recall_at_5 += 1
        if rank is not None:
            reciprocal_ranks += 1.0 / rank
        if hits and hits[0].confidence >= threshold:
            confident += 1
            confident_right += int(rank == 1)
    total = max(len(queries), 1)
    return {
        "queries": len(queries),
        "p_at_1": round(hits_at_1 / total, 4),
        "r_at_5": round(recall_at_5 / total, 4),
        "mrr_at_10": round(reciprocal_ranks / total, 4),
        "confident_threshold": threshold,
        "confident_precision": round(confident_right / confident, 4) if confident else 1.0,
        "confident_coverage": round(confident / total, 4),
        "confident_right": confident_right,
        "automation_rate": round(confident_right / total, 4),
    }


def read_questions(path: Path | str) -> list[str]:
    """Questions of a file: ``questions: [{text: ...}]`` YAML or a ``dev.json``'s queries."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data: Any = json.loads(text)
        return [str(item["query"]) for item in data.get("queries", [])]
    import yaml

    data = yaml.safe_load(text) or {}
    return [str(item["text"] if isinstance(item, dict) else item) for item in data["questions"]]


def search_like_customer(index: FaqIndex, query: str, k: int = 5) -> list[FaqHit]:
    """Entries in the language ``query`` is written in, else in any (as the bot searches)."""
    return index.search(query, k=k, language=detect_language(query)) or index.search(query, k=k)


def open_world_rate(
    index: FaqIndex, questions: Sequence[str], threshold: float = CONFIDENT_THRESHOLD
) -> dict[str, float | int]:
    """How many of ``questions`` (none answerable by the index's FAQ) get a confident hit."""
    confident = 0
    for question in questions:
        hits = search_like_customer(index, question, k=2)
        confident += bool(hits) and hits[0].confidence >= threshold
    return {
        "open_world_queries": len(questions),
        "open_world_confident": confident,
        "open_world_confident_rate": round(confident / max(len(questions), 1), 4),
    }


def split_learned(
    queries: Sequence[LabelledQuery], fraction: float, seed: int = 9
) -> tuple[list[LabelledQuery], list[LabelledQuery]]:
    """A seeded random ``fraction`` of ``queries`` to learn from, and the rest to test on."""
    order = list(range(len(queries)))
    random.Random(seed).shuffle(order)
    cut = round(fraction * len(queries))
    return [queries[i] for i in order[:cut]], [queries[i] for i in order[cut:]]


def with_learned(
    documents: Sequence[FaqDocument], learned: Sequence[LabelledQuery]
) -> list[FaqDocument]:
    """``documents`` with each learned query added as a phrasing of its (first) gold entry."""
    extra: dict[FaqId, list[str]] = {}
    for query, gold in learned:
        target = sorted(gold, key=str)[0] if gold else None
        if target is not None:
            extra.setdefault(target, []).append(query)
    return [
        replace(doc, variants=tuple(dict.fromkeys((*doc.variants, *extra.get(doc.id, ())))))
        for doc in documents
    ]


_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_NAME = re.compile(r"(?<=[^.!?。！？\s]\s)[A-Z][\w&+-]*(?:\s[A-Z][\w&+-]*)*")


def key_facts(answer: str) -> set[str]:
    """The facts a reply must keep from an entry: numbers and named options (capitalised
    words not starting a sentence: "PayPal", "Apple Pay", "Visa")."""
    facts = set(_NUMBER.findall(answer))
    facts.update(name for name in _NAME.findall(answer) if len(name) > 1)
    return facts


def fact_share(text: str, answer: str) -> float | None:
    """Share of ``answer``'s key facts that ``text`` contains (None: the answer has none)."""
    facts = key_facts(answer)
    if not facts:
        return None
    return sum(fact in text for fact in facts) / len(facts)
