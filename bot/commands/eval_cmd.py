"""``supportbot eval DATASET.json``: retrieval and answer quality on a labelled dataset.

The dataset's FAQ is imported into a temporary database (the configured one is never touched)
through the same catalog the bot uses, so the numbers describe the real pipeline: P@1, R@5,
MRR@10, the answer-mode mix the policy would produce and the precision and coverage of the
confident (verbatim FAQ) mode. ``--answers N`` also sends N queries through the whole
conversation service and reports how often the reply is grounded in the gold entry and the
median and p95 latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bot.app import App, open_app
from bot.config import Settings, UsageError
from bot.conversation.exchange import AnswerMode, Incoming
from bot.conversation.grounding import check_reply
from bot.conversation.policy import decide
from bot.conversation.smalltalk import detect_smalltalk, wants_human
from bot.knowledge.metrics import load_dataset, retrieval_metrics
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
    parser.set_defaults(handler=evaluate)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in [0, 1])."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


async def _dataset_ids(app: App) -> dict[str, int]:
    """Dataset id (as text) -> database id of every imported entry."""
    async with app.session_factory() as session:
        entries = await faq.list_entries(session=session)
    return {str(e.external_id if e.external_id is not None else e.id): e.id for e in entries}


async def evaluate_dataset(
    settings: Settings, dataset: Path, *, answers: int = 0, engine: Any = None
) -> dict[str, Any]:
    """Every figure ``eval --json`` prints."""
    _, labelled = load_dataset(dataset)
    with tempfile.TemporaryDirectory(prefix="supportbot-eval-") as folder:
        isolated = settings.model_copy(
            update={"database_url": f"sqlite+aiosqlite:///{Path(folder) / 'eval.db'}"}
        )
        async with open_app(
            isolated, engine=engine, load_model=answers > 0, import_demo=False
        ) as app:
            await app.catalog.import_file(dataset, author="eval")
            ids = await _dataset_ids(app)
            queries = [(q, {ids[str(g)] for g in gold if str(g) in ids}) for q, gold in labelled]
            result: dict[str, Any] = {"dataset": str(dataset), "faq_entries": len(ids)}
            limits = app.conversation.limits
            result.update(retrieval_metrics(app.catalog.index, queries, limits.confident))
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
    grounded = 0
    latencies: list[float] = []
    answer_modes: Counter[str] = Counter()
    for number, (query, gold) in enumerate(sample, start=1):
        reply = await app.conversation.handle(
            Incoming(user_id=number, chat_id=number, text=query, channel="eval")
        )
        latencies.append(float(reply.latency_ms))
        answer_modes[reply.mode.value] += 1
        if reply.mode in (AnswerMode.FAQ, AnswerMode.FALLBACK):
            grounded += bool(reply.faq_ids) and reply.faq_ids[0] in gold
        elif reply.mode is AnswerMode.GENERATED:
            entries = [documents[g] for g in gold & documents.keys()]
            context = [f"{doc.question}\n{doc.answer}" for doc in entries]
            grounded += check_reply(reply.text, context=context, question=query).grounded
    return {
        "answers": len(sample),
        "answer_modes": dict(sorted(answer_modes.items())),
        "grounded_rate": round(grounded / max(len(sample), 1), 4),
        "latency_p50_ms": statistics.median(latencies) if latencies else None,
        "latency_p95_ms": percentile(latencies, 0.95) if latencies else None,
    }


def evaluate(args: argparse.Namespace, settings: Settings) -> int:
    """Print the figures of one dataset."""
    if not args.dataset.is_file():
        raise UsageError(f"no such dataset: {args.dataset}")
    result = asyncio.run(evaluate_dataset(settings, args.dataset, answers=args.answers))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    for key, value in result.items():
        print(f"{key:<22} {value}")
    return 0
