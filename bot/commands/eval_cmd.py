"""``supportbot eval DATASET.json``: retrieval and answer quality on a labelled dataset.

The dataset's FAQ is imported into a temporary database (the configured one is never touched)
through the same catalog the bot uses, so the numbers describe the real pipeline: P@1, R@5,
MRR@10, the answer-mode mix the policy would produce, the precision and coverage of the
confident (verbatim FAQ) mode and ``automation_rate`` (answered confidently and correctly);
``search``: the latency of each query's first search and how many the mpnet reranker re-ranked.

Open world: the other dev sets' queries next to this one (``../*/dev.json``) and the
hand-written out-of-scope questions (bench/data/out_of_scope.yaml) are asked too; none can be
answered by this FAQ, so every confident hit is a false positive (``open_world_confident_rate``).

``--learn F`` attaches a seeded random share F of the queries to their gold entries as phrasings
(as admins accepting suggestions do) and measures the other queries before and after.
``--answers N`` sends N queries through the whole conversation service and reports, per reply
mode, how many replies there were and how much of the gold entry's key facts (numbers, named
options) the sent text carries; for generation, how many questions went to the model and how
many of its answers passed the grounding check and were sent; and the latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

from bot.app import App
from bot.commands.eval_common import OUT_OF_SCOPE, open_world_questions, private_app
from bot.commands.eval_documents import evaluate_documents
from bot.commands.eval_searches import TimedSearches, percentile
from bot.config import Settings, UsageError
from bot.conversation.exchange import AnswerMode, Incoming
from bot.conversation.policy import decide
from bot.conversation.smalltalk import detect_smalltalk, wants_human
from bot.knowledge.documents.evaluation import is_documents_dataset
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.metrics import (
    LabelledQuery,
    fact_share,
    load_dataset,
    open_world_rate,
    retrieval_metrics,
    split_learned,
    with_learned,
)
from storage.repositories import faq

ACTION_MODES = {
    "faq": "faq",
    "generate": "generated",
    "handoff": "handoff",
    "smalltalk": "smalltalk",
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("eval", help="measure retrieval and answers on a dataset")
    parser.add_argument("dataset", type=Path, help="a dev.json-style file (faq + queries)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--answers",
        type=int,
        default=0,
        metavar="N",
        help="also answer N queries through the whole pipeline (loads the model)",
    )
    parser.add_argument(
        "--learn",
        type=float,
        default=0.0,
        metavar="F",
        help="attach a random share F of the queries as phrasings; measure the rest",
    )
    parser.add_argument(
        "--out-of-scope",
        type=Path,
        default=OUT_OF_SCOPE,
        help="questions no FAQ answers, for open_world_confident_rate",
    )
    parser.add_argument(
        "--per-query",
        type=Path,
        default=None,
        metavar="FILE",
        help="documents datasets: write one JSON line per question (reply, mode, sources)",
    )
    parser.set_defaults(handler=evaluate)


async def _dataset_ids(app: App) -> dict[str, int]:
    """Dataset id (as text) -> database id of every imported entry."""
    async with app.session_factory() as session:
        entries = await faq.list_entries(session=session)
    return {str(e.external_id if e.external_id is not None else e.id): e.id for e in entries}


def learning(
    index: FaqIndex, queries: list[LabelledQuery], fraction: float, threshold: float
) -> dict[str, Any]:
    """P@1 and the rest on held-out queries, before and after learning the others."""
    learned, tested = split_learned(queries, fraction)
    after = FaqIndex(index.encoder)
    after.rebuild(with_learned(index.documents(), learned))
    return {
        "fraction": fraction,
        "learned": len(learned),
        "tested": len(tested),
        "before": retrieval_metrics(index, tested, threshold),
        "after": retrieval_metrics(after, tested, threshold),
    }


async def evaluate_dataset(
    settings: Settings,
    dataset: Path,
    *,
    answers: int = 0,
    engine: Any = None,
    learn: float = 0.0,
    out_of_scope: Path | None = OUT_OF_SCOPE,
) -> dict[str, Any]:
    """Every figure ``eval --json`` prints."""
    _, labelled = load_dataset(dataset)
    async with private_app(settings, dataset, engine=engine, load_model=answers > 0) as app:
        await app.catalog.import_file(dataset, author="eval")
        ids = await _dataset_ids(app)
        queries = [(q, {ids[str(g)] for g in gold if str(g) in ids}) for q, gold in labelled]
        result: dict[str, Any] = {"dataset": str(dataset), "faq_entries": len(ids)}
        limits = app.conversation.limits
        index = app.catalog.index
        timed: Any = TimedSearches(index)  # searches as the index does, timed
        result.update(retrieval_metrics(timed, queries, limits.confident))
        result["search"] = timed.report()
        sources = open_world_questions(dataset, out_of_scope)
        everything = [q for questions in sources.values() for q in questions]
        result.update(open_world_rate(index, everything, limits.confident))
        result["open_world_by_source"] = {
            name: open_world_rate(index, questions, limits.confident)
            for name, questions in sources.items()
        }
        if learn > 0:
            result["learn"] = learning(index, queries, learn, limits.confident)
        modes: Counter[str] = Counter()
        for query, _ in queries:
            hits = app.catalog.search(query, k=5)
            decision = decide(
                hits,
                smalltalk=detect_smalltalk(query),
                asked_for_human=wants_human(query),
                limits=limits,
            )
            modes[ACTION_MODES[decision.action.value]] += 1
        result["modes"] = dict(sorted(modes.items()))
        if answers > 0:
            result.update(await _answer_sample(app, queries, answers))
    return result


async def _answer_sample(
    app: App, queries: list[tuple[str, set[int]]], count: int
) -> dict[str, Any]:
    """Send ``count`` evenly spaced queries through the conversation service."""
    step = max(1, len(queries) // count)
    sample = queries[::step][:count]
    documents = {doc.id: doc for doc in app.catalog.index.documents()}
    latencies: list[float] = []
    answer_modes: Counter[str] = Counter()
    shares: dict[str, list[float]] = {}
    for number, (query, gold) in enumerate(sample, start=1):
        reply = await app.conversation.handle(
            Incoming(user_id=number, chat_id=number, text=query, channel="eval")
        )
        latencies.append(float(reply.latency_ms))
        answer_modes[reply.mode.value] += 1
        entry = next((documents[g] for g in sorted(gold) if g in documents), None)
        share = fact_share(reply.text, entry.answer) if entry is not None else None
        if share is not None:
            shares.setdefault(reply.mode.value, []).append(share)
    generated = answer_modes[AnswerMode.GENERATED.value]
    asked = generated + answer_modes[AnswerMode.FALLBACK.value]
    return {
        "answers": len(sample),
        "answer_modes": dict(sorted(answer_modes.items())),
        "generation_asked": asked,
        "generation_sent": generated,
        "generation_sent_rate": round(generated / asked, 4) if asked else None,
        "key_facts_by_mode": {
            mode: {
                "replies": len(values),
                "mean_share": round(statistics.fmean(values), 4),
                "all_facts_rate": round(sum(v == 1.0 for v in values) / len(values), 4),
            }
            for mode, values in sorted(shares.items())
        },
        "latency_p50_ms": statistics.median(latencies) if latencies else None,
        "latency_p95_ms": percentile(latencies, 0.95) if latencies else None,
    }


def evaluate(args: argparse.Namespace, settings: Settings) -> int:
    """Print the figures of one dataset."""
    if not args.dataset.is_file():
        raise UsageError(f"no such dataset: {args.dataset}")
    if is_documents_dataset(args.dataset):
        run = evaluate_documents(
            settings,
            args.dataset,
            answers=args.answers,
            per_query=args.per_query,
            out_of_scope=args.out_of_scope,
        )
    else:
        run = evaluate_dataset(
            settings,
            args.dataset,
            answers=args.answers,
            learn=args.learn,
            out_of_scope=args.out_of_scope,
        )
    result = asyncio.run(run)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    for key, value in result.items():
        print(f"{key:<22} {value}")
    return 0
