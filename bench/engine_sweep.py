"""Prefill scheduling alternatives, measured interleaved in one process on one engine.

    python -m bench.engine_sweep [--workload support|zipf] [--rounds 2] [--json]

The machine is shared and its load changes by the minute, so separate runs cannot compare
settings fairly. This loads the model once, builds one engine, and runs the same burst under
each setting in turn (round robin, ``--rounds`` times), with the prefix cache emptied before
each burst (zipf: holding only what the conversations' earlier turns left). Settings: prefill
order (``fifo``, ``shortest``), prefill chunk (tokens per step) and decode pause (how long
decoding rows may wait while prompts are prefilled).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
from collections.abc import Sequence
from typing import Any

from bench.engine import measured_burst, run_engine
from bench.engine_workloads import support_prompts, zipf_workload
from bot.config import load_settings
from bot.engine.base import ChatMessage
from bot.engine.cpu import choose_format, load_dtype
from bot.engine.loading import configure_threads, load_model
from bot.engine.local import LocalEngine
from bot.engine.model_source import resolve_model

SETTINGS = [  # (order, chunk, decode pause seconds)
    ("fifo", 512, 1.5),
    ("shortest", 512, 1.5),
    ("fifo", 256, 1.5),
    ("fifo", 1024, 1.5),
    ("shortest", 1024, 1.5),
    ("fifo", 512, 0.0),
]


def parse_settings(text: str) -> list[tuple[str, int, float]]:
    """``fifo/512/1.5,shortest/512/1.5`` -> the settings to compare."""
    parsed = []
    for item in text.split(","):
        order, chunk, pause = item.split("/")
        parsed.append((order, int(chunk), float(pause)))
    return parsed


async def sweep(args: argparse.Namespace) -> dict[str, Any]:
    settings = load_settings()
    configure_threads(settings.model_threads)
    zipf = zipf_workload(settings, args.concurrency) if args.workload == "zipf" else None
    weights = choose_format(settings.model_dtype)
    loaded = load_model(
        resolve_model(settings.model), load_dtype(weights), settings.model_cache_dir
    )
    engine = LocalEngine(
        loaded.model, loaded.tokenizer, max_batch=args.concurrency, weights=weights
    )
    engine.start()
    prompts: Sequence[list[ChatMessage]] = support_prompts(args.concurrency)
    if zipf is not None:
        first, _ = await run_engine(engine, zipf.first_turns, args.new_tokens, ignore_eos=False)
        zipf.add_follow_ups([r.text for r in first])
        prompts = zipf.burst
    await run_engine(engine, prompts[:2], 4)  # warm-up
    runs: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.rounds):
        for order, chunk, pause in args.settings:
            engine.prefix_cache.clear()
            if zipf is not None:
                await run_engine(engine, zipf.first_turns, args.new_tokens, ignore_eos=False)
            engine.worker.prefill.order = order
            engine.worker.prefill.chunk = chunk
            engine.worker.decode_pause = pause
            figures = await measured_burst(engine, prompts, args.new_tokens)
            figures["load_average_1m"] = round(os.getloadavg()[0], 2)
            runs.setdefault(f"{order}/{chunk}/pause{pause}", []).append(figures)
    await engine.close()
    keys = ("ttft_p50_ms", "ttft_p95_ms", "engine_wall_s", "prefill_tokens", "load_average_1m")
    return {
        "workload": args.workload,
        "rounds": args.rounds,
        "settings": {
            name: {key: [run[key] for run in results] for key in keys}
            | {"ttft_p95_median": statistics.median(run["ttft_p95_ms"] for run in results)}
            for name, results in runs.items()
        },
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.engine_sweep")
    parser.add_argument("--workload", choices=["support", "zipf"], default="support")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--settings",
        type=parse_settings,
        default=SETTINGS,
        help="order/chunk/pause,... (default: the six alternatives above)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(sweep(args))
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
