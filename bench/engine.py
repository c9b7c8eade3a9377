"""Benchmark of the local generation engine against one ``model.generate`` per request.

    python -m bench.engine [--workload support|zipf] [--context product|fixed] [--concurrency 16]
                           [--new-tokens 64] [--json]

One process, one loaded model. ``support``: 16 different support customers; ``zipf``: support
traffic with popular questions and follow-up turns (see ``engine_workloads``). ``--context
product`` (default): each prompt carries the FAQ context the app would pass (its retrieval,
answer policy and focused sentences, asked through ``open_app`` in a child process before the
model loads); ``--context fixed``: the issue's workload, three whole entries per question
(``support``: about 390 prompt tokens each). Greedy, a fixed number of new tokens. (a) the naive
baseline serves the customers one at a time with ``model.generate``; (b) the engine gets all
customers arriving within one second, with an empty prefix cache (zipf: holding only what the
conversations' earlier turns left); the baseline runs after the engine has closed, on a fresh
load of the model, so neither phase's leftovers sit under the other's peak. Prints throughput,
time to first token, latency, prompt tokens computed and reused from the prefix cache, and
peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import statistics
import time
from collections.abc import Sequence
from typing import Any, get_args

import torch
from transformers import PreTrainedModel

from bench.engine_workloads import (
    Context,
    ZipfWorkload,
    product_support_prompts,
    support_prompts,
    zipf_workload,
)
from bot.config import load_settings
from bot.engine.base import ChatMessage, Generation, GenerationRequest
from bot.engine.cpu import FORMATS, WeightFormat, choose_format, load_dtype
from bot.engine.loading import configure_threads, load_model, release_free_memory
from bot.engine.local import ChatTokens, LocalEngine
from bot.engine.model_source import resolve_model
from bot.prompting.builder import DEFAULT_LAYOUT, Layout


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run_baseline(
    model: PreTrainedModel,
    chat_tokens: ChatTokens,
    prompts: Sequence[list[ChatMessage]],
    new_tokens: int,
) -> dict[str, float]:
    """One ``model.generate`` per request, served one at a time."""
    tokens = 0
    started = time.perf_counter()
    with torch.inference_mode():
        for messages in prompts:
            ids = torch.tensor([chat_tokens.encode(messages)])
            out = model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
            )
            tokens += out.shape[1] - ids.shape[1]
    elapsed = time.perf_counter() - started
    return {"tokens": tokens, "seconds": elapsed, "tokens_per_s": tokens / elapsed}


async def run_engine(
    engine: LocalEngine,
    prompts: Sequence[list[ChatMessage]],
    new_tokens: int,
    *,
    ignore_eos: bool = True,
) -> tuple[list[Generation], float]:
    """All customers arrive evenly spread over (just under) one second."""
    gap = 1.0 / len(prompts)

    async def customer(index: int, messages: list[ChatMessage]) -> Generation:
        await asyncio.sleep(index * gap)
        request = GenerationRequest(messages, max_new_tokens=new_tokens, ignore_eos=ignore_eos)
        return await engine.generate(request)

    started = time.perf_counter()
    results = await asyncio.gather(*(customer(i, m) for i, m in enumerate(prompts)))
    return list(results), time.perf_counter() - started


def prompt_split(tokens: ChatTokens, prompts: Sequence[list[ChatMessage]]) -> dict[str, float]:
    """Mean prompt tokens of the system message, the history and the question turn."""
    system = [len(tokens.encode(p[:1])) for p in prompts]
    total = [len(tokens.encode(p)) for p in prompts]
    before_question = [len(tokens.encode(p[:-1])) for p in prompts]
    history = [b - s for b, s in zip(before_question, system, strict=True)]
    question = [t - b for t, b in zip(total, before_question, strict=True)]
    return {
        "system_and_entries": round(statistics.mean(system), 1),
        "history": round(statistics.mean(history), 1),
        "question_turn": round(statistics.mean(question), 1),
    }


async def measured_burst(
    engine: LocalEngine, prompts: Sequence[list[ChatMessage]], new_tokens: int
) -> dict[str, Any]:
    """Run the burst with fresh counters; the figures of the engine alone."""
    cache = engine.prefix_cache
    cache.lookups = cache.hits = cache.looked_up_tokens = cache.reused_tokens = 0
    engine.stats.trace = []
    results, elapsed = await run_engine(engine, prompts, new_tokens)
    steps = engine.stats.trace
    prefill_steps = [s for s in steps if s[1] > 0]
    decode_steps = [s for s in steps if s[1] == 0]
    full_batch = [s[2] for s in decode_steps if s[0] == len(prompts)]
    ttft = [1000 * (r.time_to_first_token or 0.0) for r in results]
    latency = [1000 * r.total_time for r in results]
    return {
        "tokens": sum(r.completion_tokens for r in results),
        "elapsed": elapsed,
        "ttft_p50_ms": round(percentile(ttft, 0.5)),
        "ttft_p95_ms": round(percentile(ttft, 0.95)),
        "latency_p50_ms": round(percentile(latency, 0.5)),
        "latency_p95_ms": round(percentile(latency, 0.95)),
        "engine_wall_s": round(elapsed, 2),
        "engine_steps": len(steps),
        "prefill_tokens": sum(s[1] for s in prefill_steps),
        "prefix_reused_tokens": cache.reused_tokens,
        "prefix_hit_rate": round(cache.hit_rate, 3),
        "prefill_steps_s": round(sum(s[2] for s in prefill_steps), 2),
        "decode_only_steps": len(decode_steps),
        "decode_only_steps_s": round(sum(s[2] for s in decode_steps), 2),
        "decode_step_ms_full_batch": round(1000 * statistics.median(full_batch))
        if full_batch
        else None,
        "finish_reasons": sorted({r.finish_reason for r in results}),
    }


def naive_baseline(
    args: argparse.Namespace,
    settings: Any,
    dtype: torch.dtype,
    chat_tokens: ChatTokens,
    prompts: Sequence[list[ChatMessage]],
) -> dict[str, float]:
    """The baseline runs after the engine is closed, on a fresh load of the model in the dtype
    it was loaded in (float32 for the int8 and float16 formats: what transformers would run
    on such a CPU; the engine
    took over the first one; from the safetensors cache the reload is under a second). Run
    first, its transformers ``generate`` left ~40 MB (oneDNN primitives, heap) under the
    engine's peak, which a deployed bot never carries; now ``peak_rss_mb`` is the larger of
    the two phases' peaks."""
    release_free_memory()
    source = resolve_model(args.model or settings.model)
    model = load_model(source, dtype, settings.model_cache_dir).model
    warm = [ChatMessage("system", "Warm-up."), ChatMessage("user", "Say 0.")]
    run_baseline(model, chat_tokens, [warm], 4)
    return run_baseline(model, chat_tokens, prompts[: args.baseline_requests], args.new_tokens)


def build_engine(
    args: argparse.Namespace,
    loaded: Any,
    model_name: str,
    queue_size: int,
    settings: Any,
    weights: WeightFormat,
) -> LocalEngine:
    """The engine takes over the loaded model (unless float32, it keeps its own copies only)."""
    return LocalEngine(
        loaded.model,
        loaded.tokenizer,
        name=model_name,
        max_batch=args.concurrency,
        queue_size=max(args.concurrency, queue_size),
        prefill_chunk=args.prefill_chunk,
        prefill_order=args.order,
        cache_mb=settings.engine_cache_mb if args.cache_mb is None else args.cache_mb,
        weights=weights,
    )


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    settings = load_settings()
    model_name = args.model or settings.model
    threads = configure_threads(settings.model_threads)
    weights = choose_format(args.dtype or settings.model_dtype)
    dtype = load_dtype(weights)
    zipf, prompts, entries = _workload(args, settings)  # retrieval first, in a child process
    loaded = load_model(resolve_model(model_name), dtype, settings.model_cache_dir)
    chat_tokens = ChatTokens(loaded.tokenizer)
    engine = build_engine(args, loaded, model_name, settings.engine_queue_size, settings, weights)
    runs = engine.runs
    engine.start()
    warm = [[ChatMessage("system", "Warm-up."), ChatMessage("user", f"Say {i}.")] for i in range(4)]
    await asyncio.gather(*(engine.generate(GenerationRequest(m, max_new_tokens=8)) for m in warm))
    engine.prefix_cache.clear()
    if zipf is not None:  # the conversations' first turns, a little earlier
        first = await run_engine(engine, zipf.first_turns, args.new_tokens, ignore_eos=False)
        zipf.add_follow_ups([r.text for r in first[0]], args.layout)
        prompts = zipf.burst
    split = prompt_split(chat_tokens, prompts)
    prompt_tokens = [len(chat_tokens.encode(p)) for p in prompts]
    figures = await measured_burst(engine, prompts, args.new_tokens)
    await engine.close()
    del engine
    engine_peak = _peak_rss_mb()  # before the float baseline adds its own phase
    baseline: dict[str, float] = {}
    if args.baseline_requests and zipf is None:
        baseline = naive_baseline(args, settings, dtype, chat_tokens, prompts)
    engine_rate = figures.pop("tokens") / figures.pop("elapsed")
    base_rate = baseline.get("tokens_per_s")
    return {
        "workload": args.workload,
        "model": model_name,
        "dtype": weights,
        **runs,
        "baseline_dtype": str(dtype).removeprefix("torch."),
        "threads": threads,
        "concurrency": args.concurrency,
        "new_tokens": args.new_tokens,
        "layout": args.layout,
        "context": args.context,
        "faq_entries_mean": round(statistics.mean(entries), 2) if entries else None,
        "prefill_order": args.order,
        "prefill_chunk": args.prefill_chunk,
        "prompt_tokens_mean": round(statistics.mean(prompt_tokens), 1),
        "prompt_tokens_total": sum(prompt_tokens),
        "prompt_tokens_split_mean": split,
        "baseline_tokens_per_s": round(base_rate, 1) if base_rate else None,
        "baseline_requests": args.baseline_requests if base_rate else 0,
        "engine_tokens_per_s": round(engine_rate, 1),
        "speedup": round(engine_rate / base_rate, 2) if base_rate else None,
        **figures,
        "baseline_wall_s": round(baseline["seconds"], 2) if base_rate else None,
        "load_seconds": round(loaded.load_seconds, 2),
        "engine_peak_rss_mb": engine_peak,
        "peak_rss_mb": _peak_rss_mb(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _workload(
    args: argparse.Namespace, settings: Any
) -> tuple[ZipfWorkload | None, list[list[ChatMessage]], list[int]]:
    """The zipf workload (or None), the support prompts, and the FAQ entries per prompt."""
    if args.workload == "zipf":
        zipf = zipf_workload(settings, args.concurrency, layout=args.layout, context=args.context)
        return zipf, zipf.burst, zipf.entries
    if args.context == "fixed":
        return None, support_prompts(args.concurrency, args.layout), [3] * args.concurrency
    prompts, entries = product_support_prompts(settings, args.concurrency, args.layout)
    return None, prompts, entries


def _peak_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.engine", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--concurrency", type=int, default=16, help="customers (default 16)")
    parser.add_argument("--new-tokens", type=int, default=64, help="tokens per reply (default 64)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--model", help="SUPPORTBOT_MODEL override")
    parser.add_argument("--dtype", choices=["auto", *FORMATS], help="weight format override")
    parser.add_argument("--prefill-chunk", type=int, default=512, help="prompt tokens per step")
    parser.add_argument("--workload", choices=["support", "zipf"], default="support")
    parser.add_argument("--order", choices=["fifo", "shortest"], default="fifo")
    parser.add_argument("--layout", choices=list(get_args(Layout)), default=DEFAULT_LAYOUT)
    parser.add_argument(
        "--context",
        choices=list(get_args(Context)),
        default="product",
        help="FAQ context: what the app passes (default) or the issue's three whole entries",
    )
    parser.add_argument("--cache-mb", type=float, help="prefix cache budget override (0: off)")
    parser.add_argument(
        "--baseline-requests",
        type=int,
        default=None,
        help="requests the baseline serves (default: all; 0 skips it; zipf never runs it)",
    )
    args = parser.parse_args(argv)
    if args.baseline_requests is None:
        args.baseline_requests = args.concurrency
    logging.basicConfig(level=logging.WARNING)
    figures = asyncio.run(benchmark(args))
    if args.json:
        print(json.dumps(figures))
    else:
        width = max(len(key) for key in figures)
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
