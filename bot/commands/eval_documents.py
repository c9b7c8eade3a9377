"""``supportbot eval`` on a documents dataset: a help centre's articles and expert questions.

The articles are stored through ``DocumentLibrary.add_article`` (the chunker and storage of
`docs add`) in a private database, their passages searched through the app's own index, and
every question is sent through the conversation service as a customer's first message, so the
figures are what customers get: ``article_at_1``/``_5`` and ``mrr_at_10`` (the rank of the first
passage from the gold article), the confident mode's precision and coverage,
``automation_rate`` (a confident reply from the gold article), ``answer_recall`` and
``answered_with_gold`` (how much of the gold answer the sent reply carries), the reply modes,
and the open world (other dev sets' questions with the articles loaded: every confident hit
is wrong). Without ``--answers`` no model is loaded: partial matches get the business's own
sentences instead of a generated answer. ``*_with_twins`` counts an article with (nearly) the
same text as the gold one as right too; the strict figures do not.
"""

from __future__ import annotations

import asyncio
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from bot.app import App
from bot.commands.eval_common import OUT_OF_SCOPE, open_world_questions, private_app
from bot.config import Settings
from bot.conversation.exchange import AnswerMode, Incoming, Reply
from bot.knowledge.documents.evaluation import (
    ANSWERED_AT,
    DocumentQuery,
    answer_share,
    article_ranks,
    load_documents_dataset,
    rate,
    summary,
    twin_articles,
)
from bot.knowledge.documents.passages import is_passage_id
from bot.knowledge.ranking.metrics import open_world_rate

SEARCH_DEPTH = 40  # passages searched per question: enough for ten distinct articles


async def evaluate_documents(
    settings: Settings,
    dataset: Path,
    *,
    answers: int = 0,
    engine: Any = None,
    per_query: Path | None = None,
    out_of_scope: Path | None = OUT_OF_SCOPE,
) -> dict[str, Any]:
    """Every figure ``eval --json`` prints for a documents dataset."""
    articles, queries = load_documents_dataset(dataset)
    async with private_app(settings, dataset, engine=engine, load_model=answers > 0) as app:
        ids, failures = await _import_articles(app, articles, dataset)
        twins = twin_articles(articles)
        result: dict[str, Any] = {
            "dataset": str(dataset),
            "articles": len(ids),
            "articles_not_imported": len(failures),
            "gold_not_imported": sum(q.doc_id not in ids for q in queries),
            "passages": await _passage_count(app),
        }
        result.update(_retrieval(app, queries, ids, twins))
        result.update(await _replies(app, queries, ids, answers, per_query))
        sources = open_world_questions(dataset, out_of_scope)
        everything = [q for questions in sources.values() for q in questions]
        confident = app.conversation.limits.confident
        result.update(open_world_rate(app.catalog.index, everything, confident))
        result["open_world_by_source"] = {
            name: open_world_rate(app.catalog.index, questions, confident)
            for name, questions in sources.items()
        }
    return summary(result)


async def _import_articles(
    app: App, articles: dict[str, Any], dataset: Path
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Store every article: dataset id -> article id, and the articles that could not be
    (a heading with no text under it: nothing to answer from), with the reason."""
    source = f"eval:{dataset.stem}:{dataset.parent.name}"
    report = await app.documents.add_articles(list(articles.items()), source_location=source)
    source_id = report.source_ids[0]
    stored = await app.documents.articles(source_id)
    return {a.location: a.id for a in stored}, list(report.failures)


async def _passage_count(app: App) -> int:
    return sum(s.passages for s in await app.documents.sources())


def _retrieval(
    app: App, queries: list[DocumentQuery], ids: dict[str, int], twins: dict[str, set[str]]
) -> dict[str, Any]:
    """Article ranks and the confident mode, from the index the conversation searches."""
    confident_at = app.conversation.limits.confident
    at1 = at5 = twin_at1 = confident = right = 0
    reciprocal = 0.0
    for query in queries:
        hits = app.catalog.search(query.query, k=SEARCH_DEPTH)  # the top hit is as with k=1
        ranked = article_ranks(hits)
        gold = ids.get(query.doc_id)
        accepted = {gold} | {ids[t] for t in twins.get(query.doc_id, ()) if t in ids}
        rank = ranked.index(gold) + 1 if gold in ranked[:10] else None
        at1 += rank == 1
        at5 += rank is not None and rank <= 5
        reciprocal += 1 / rank if rank else 0.0
        twin_at1 += bool(ranked) and ranked[0] in accepted
        if hits and hits[0].confidence >= confident_at:
            confident += 1
            origin = hits[0].document.origin
            right += origin is not None and origin.article_id == gold
    total = len(queries)
    return {
        "article_at_1": rate(at1, total),
        "article_at_5": rate(at5, total),
        "mrr_at_10": round(reciprocal / total, 4) if total else 0.0,
        "confident_precision": rate(right, confident),
        "confident_coverage": rate(confident, total),
        "confident": confident,
        "confident_right": right,
        "article_at_1_with_twins": rate(twin_at1, total),
    }


async def _replies(
    app: App,
    queries: list[DocumentQuery],
    ids: dict[str, int],
    answers: int,
    per_query: Path | None,
) -> dict[str, Any]:
    """Every question (``answers`` > 0: that many, evenly spaced) through the conversation."""
    step = max(1, len(queries) // answers) if answers else 1
    sample = queries[::step][:answers] if answers else queries
    passages = {d.id: d for d in app.catalog.index.documents() if is_passage_id(d.id)}
    modes: Counter[str] = Counter()
    shares: list[float] = []
    automated = offered_gold = 0
    lines: list[str] = []
    for number, query in enumerate(sample, start=1):
        reply = await app.conversation.handle(
            Incoming(user_id=number, chat_id=number, text=query.query, channel="eval")
        )
        modes[reply.mode.value] += 1
        articles = _reply_articles(reply, passages)
        share = answer_share(reply.text, query.answer) or 0.0
        shares.append(share)
        automated += reply.mode is AnswerMode.FAQ and ids.get(query.doc_id) in articles
        offered_gold += reply.mode is AnswerMode.CHOICE and ids.get(query.doc_id) in articles
        lines.append(json.dumps(_per_query_line(query, reply, articles), ensure_ascii=False))
    if per_query is not None:
        await asyncio.to_thread(per_query.write_text, "\n".join(lines) + "\n", "utf-8")
    return {
        "automation_rate": rate(automated, len(sample)),
        "automated": automated,
        "answer_recall": round(statistics.fmean(shares), 4) if shares else 0.0,
        "answered_with_gold": rate(sum(s >= ANSWERED_AT for s in shares), len(sample)),
        "modes": dict(sorted(modes.items())),
        "choices_with_gold": offered_gold,  # "did you mean" replies offering the gold article
        "queries": len(sample),
        "model": answers > 0,
    }


def _reply_articles(reply: Reply, passages: dict[Any, Any]) -> list[int | str]:
    """The articles whose passages the reply was built from, in reply order."""
    found: list[int | str] = []
    for key in reply.faq_ids:
        document = passages.get(key)
        if document is not None and document.origin.article_id not in found:
            found.append(document.origin.article_id)
    return found


def _per_query_line(
    query: DocumentQuery, reply: Reply, articles: list[int | str]
) -> dict[str, Any]:
    return {
        "query": query.query,
        "reply": reply.text,
        "mode": reply.mode.value,
        "confidence": round(reply.confidence, 4),
        "article_ids": articles,
        "passage_ids": [key for key in reply.faq_ids if is_passage_id(key)],
        "gold": query.doc_id,
    }
