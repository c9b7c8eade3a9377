"""End-to-end latency of a confident FAQ reply, as ``supportbot ask`` produces it.

    python -m bench.answer [--rounds 200] [--no-model] [--json]

Opens the whole app (database migrated, demo FAQ imported, embedding model and, unless
``--no-model``, the generation model loaded) on a temporary SQLite file, then sends the demo
FAQ's own questions (in a few wordings, so that no text repeats and the query-embedding cache
does not flatter us) through ``ConversationService.handle``: store the question, retrieve,
decide, store the reply. Over the replies in ``faq`` mode it reports the reply's own
``latency_ms`` (question in -> reply ready) and the wall time of the whole call including
storing the reply. Target: p50 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import time
from typing import Any

from bench.temporary_app import temporary_app
from bot.config import load_settings
from bot.conversation.exchange import AnswerMode, Incoming

WORDINGS = ("{q}", "Quick question: {q}", "Hello, {q}", "{q} Thank you.")
TARGET_P50_MS = 50.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(rounds: int, load_model: bool) -> dict[str, Any]:
    settings = load_settings()
    started = time.perf_counter()
    async with temporary_app(settings, load_model=load_model) as app:
        startup_s = time.perf_counter() - started
        questions = [doc.question for doc in app.catalog.index.documents()]
        texts = [w.format(q=q) for w in WORDINGS for q in questions][: rounds + 1]
        await app.conversation.handle(Incoming(0, 0, texts.pop(), channel="bench"))  # warm
        reply_ms: list[float] = []
        wall_ms: list[float] = []
        modes: dict[str, int] = {}
        for number, text in enumerate(texts, start=1):
            t0 = time.perf_counter()
            reply = await app.conversation.handle(Incoming(number, number, text, channel="bench"))
            elapsed = (time.perf_counter() - t0) * 1000
            modes[reply.mode.value] = modes.get(reply.mode.value, 0) + 1
            if reply.mode is AnswerMode.FAQ:
                wall_ms.append(elapsed)
                reply_ms.append(float(reply.latency_ms))
        model = app.engine.name if app.engine is not None else None
    faq_share = len(wall_ms) / max(sum(modes.values()), 1)
    return {
        "rounds": sum(modes.values()),
        "model_loaded": model,
        "embedding_model": settings.embedding_model,
        "startup_s": round(startup_s, 2),
        "modes": modes,
        "faq_share": round(faq_share, 3),
        "reply_latency_p50_ms": round(statistics.median(reply_ms), 2),
        "reply_latency_p95_ms": round(percentile(reply_ms, 0.95), 2),
        "handle_wall_p50_ms": round(statistics.median(wall_ms), 2),
        "handle_wall_p95_ms": round(percentile(wall_ms, 0.95), 2),
        "target_p50_ms": TARGET_P50_MS,
        "meets_target": statistics.median(wall_ms) < TARGET_P50_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--no-model", action="store_true", help="skip loading the model")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args.rounds, load_model=not args.no_model))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key:<24} {value}")


if __name__ == "__main__":
    main()
