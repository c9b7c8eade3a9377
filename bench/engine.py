"""Benchmark of the local generation engine against one ``model.generate`` per request.

    python -m bench.engine [--concurrency 16] [--new-tokens 64] [--json]

One process, one loaded model, the same workload twice: 16 different support prompts of about
350 tokens (system prompt, the customer's question, three FAQ entries: the layout the prompt
builder uses), greedy, a fixed number of new tokens. (a) the naive baseline serves the
customers one at a time with ``model.generate``; (b) the engine gets all customers arriving
within one second. Prints throughput, time to first token, latency and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import statistics
import time
from collections.abc import Sequence
from typing import Any

import torch
from transformers import PreTrainedModel

from bot.config import load_settings
from bot.engine.base import ChatMessage, Generation, GenerationRequest
from bot.engine.loading import choose_dtype, configure_threads, load_model
from bot.engine.local import ChatTokens, LocalEngine
from bot.engine.model_source import resolve_model

SYSTEM_PROMPT = """You are the customer-service assistant of Northwind Outfitters, an online shop \
for outdoor clothing and camping gear. Be friendly, polite and concise.
Rules:
- Answer only with facts from the FAQ entries given with the customer's question. Never invent \
prices, dates, times, numbers or policies.
- If the FAQ entries do not answer the question, say that you don't know and offer to connect \
the customer with a member of the team.
- Reply in English, in two or three short sentences.
- Do not mention these rules or the FAQ entries themselves."""

FAQ = [
    (
        "How long does delivery take?",
        "Orders placed before 2 pm on a working day leave our "
        "warehouse the same day. Standard delivery takes 2 to 4 working days within the "
        "country and 5 to 10 working days abroad. Express delivery arrives the next "
        "working day for orders placed before noon. You receive a tracking link by e-mail "
        "as soon as the parcel leaves.",
    ),
    (
        "How much does shipping cost?",
        "Standard shipping costs 4.90 EUR and is free for orders "
        "above 60 EUR. Express shipping costs 12.90 EUR regardless of the order value. Shipping "
        "abroad costs 14.90 EUR within the EU and 29.90 EUR elsewhere. Bulky items such as tents "
        "over 10 kg carry a surcharge of 9 EUR, shown at checkout before you pay.",
    ),
    (
        "How do I return an item?",
        "You can return unused items within 30 days of delivery. Log "
        "in, open the order, choose Return and print the prepaid label. Pack the item in its "
        "original packaging and drop it at any post office. Refunds reach your original payment "
        "method within 5 working days after the return arrives at our warehouse.",
    ),
    (
        "Can I exchange shoes for another size?",
        "Yes. Start a return for the pair you have and "
        "select Exchange instead of Refund, then choose the new size. We ship the new pair as soon "
        "as the courier scans your parcel, so you do not have to wait for it to reach us. "
        "Exchanges are free of charge once per order.",
    ),
    (
        "Which payment methods do you accept?",
        "We accept Visa, Mastercard, American Express, "
        "PayPal, Apple Pay, Google Pay and bank transfer. Invoices payable within 14 days are "
        "available to returning customers in Germany and Austria after their second order. We do "
        "not accept cash on delivery or cheques.",
    ),
    (
        "Do you have a warranty on tents?",
        "All tents carry a 3-year warranty against "
        "manufacturing defects such as broken poles, failed seams and faulty zips. Damage from "
        "storms, fire or misuse is not covered. Send us photos of the defect and your order number "
        "and we repair or replace the tent, usually within two weeks.",
    ),
    (
        "Can I change or cancel my order?",
        "You can change or cancel an order until it is packed, "
        "usually within one hour of ordering. Open the order in your account and choose Edit or "
        "Cancel. Once the order shows Packed, it can no longer be changed, but you can return "
        "the items free of charge after delivery.",
    ),
    (
        "Where is my order?",
        "Open the tracking link in your shipping confirmation e-mail or look "
        "up the order in your account under Orders. Tracking updates can take up to 24 hours after "
        "dispatch. If the parcel has not moved for 5 working days, contact us and we will open an "
        "investigation with the courier.",
    ),
    (
        "Do you sell gift cards?",
        "Yes, digital gift cards from 10 to 500 EUR are sent by e-mail "
        "within minutes and are valid for three years. They can be used for several orders until "
        "the balance is spent. Gift cards cannot be exchanged for cash or used to buy other gift "
        "cards.",
    ),
    (
        "How do I take care of a down jacket?",
        "Wash down jackets at 30 degrees on a gentle cycle "
        "with a special down detergent, never with fabric softener. Tumble dry on low heat "
        "with two or three clean tennis balls so the down does not clump. Store the "
        "jacket loosely hung, not compressed, between seasons.",
    ),
    (
        "Do you offer student discounts?",
        "Students get 10 percent off full-price items after "
        "verifying their status once through our partner UNiDAYS. The discount cannot be combined "
        "with other vouchers or applied to gift cards and sale items. Verification stays valid for "
        "twelve months.",
    ),
    (
        "Is there a physical store?",
        "We have one store in Munich at Lindwurmstrasse 12, open "
        "Monday to Saturday from 10 am to 7 pm. Online orders can be collected there free of "
        "charge two working days after ordering. Returns of online orders are also accepted in the "
        "store.",
    ),
    (
        "My item arrived damaged, what should I do?",
        "We are sorry about that. Please send photos "
        "of the damage and of the parcel within 7 days of delivery through the contact form. We "
        "send a replacement straight away or refund the item in full, and you do not need to "
        "return damaged goods unless we ask for them.",
    ),
    (
        "Can I reserve an item?",
        "We cannot reserve items online. Items in your basket are not "
        "held for you and may sell out. Our store in Munich can hold items for collection for up "
        "to 48 hours if you call them. Restock dates are shown on the product page when known.",
    ),
    (
        "How do I find my size?",
        "Every product page has a size chart with body measurements in "
        "centimetres. Measure your chest, waist and inside leg and pick the size whose range fits; "
        "between two sizes, choose the larger one for layering. Our shoes are true to size unless "
        "the product page says otherwise.",
    ),
    (
        "Do you ship to Switzerland?",
        "Yes, we ship to Switzerland with standard delivery in 5 to "
        "8 working days. Prices are shown without German VAT; Swiss import VAT and a customs fee "
        "are charged by the courier on delivery. Returns from Switzerland are free using the "
        "prepaid label in your account.",
    ),
]

QUESTIONS = [
    ("Hi, I ordered a tent on Monday and it still hasn't arrived. How long does it take?", 0, 7, 1),
    ("What does shipping cost if I order for 45 euros?", 1, 0, 15),
    ("I want to send back a jacket that I don't like. How does that work?", 2, 3, 12),
    ("These boots are too small, can I get a bigger size?", 3, 2, 14),
    ("Can I pay by invoice?", 4, 8, 10),
    ("One pole of my tent broke after a month. Is that covered?", 5, 12, 2),
    ("I made a mistake in my address, can I still change my order?", 6, 7, 0),
    ("My tracking hasn't changed in a week. Where is my parcel?", 7, 0, 12),
    ("Can I buy a gift card for my brother?", 8, 10, 4),
    ("How should I wash my down jacket?", 9, 14, 5),
    ("Is there a discount for students?", 10, 8, 4),
    ("Do you have a shop in Munich where I can try things on?", 11, 13, 14),
    ("My sleeping bag arrived with a tear in it. What now?", 12, 2, 5),
    ("Can you keep a backpack for me until Friday?", 13, 11, 7),
    ("I'm usually between M and L. Which size should I take?", 14, 3, 9),
    ("Do you deliver to Zurich and will I pay customs?", 15, 1, 0),
]


def support_prompt(index: int) -> list[ChatMessage]:
    """The ``index``-th customer's prompt (questions and FAQ picks cycle past 16)."""
    question, *entries = QUESTIONS[index % len(QUESTIONS)]
    faq = "\n\n".join(
        f"[{n}] Q: {FAQ[e][0]}\nA: {FAQ[e][1]}" for n, e in enumerate(entries, start=1)
    )
    turn = f"Customer question: {question}\n\nFAQ entries:\n{faq}"
    return [ChatMessage("system", SYSTEM_PROMPT), ChatMessage("user", turn)]


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
    engine: LocalEngine, prompts: Sequence[list[ChatMessage]], new_tokens: int
) -> tuple[list[Generation], float]:
    """All customers arrive evenly spread over (just under) one second."""
    gap = 1.0 / len(prompts)

    async def customer(index: int, messages: list[ChatMessage]) -> Generation:
        await asyncio.sleep(index * gap)
        request = GenerationRequest(messages, max_new_tokens=new_tokens, ignore_eos=True)
        return await engine.generate(request)

    started = time.perf_counter()
    results = await asyncio.gather(*(customer(i, m) for i, m in enumerate(prompts)))
    return list(results), time.perf_counter() - started


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    settings = load_settings()
    model_name = args.model or settings.model
    threads = configure_threads(settings.model_threads)
    dtype = choose_dtype(args.dtype or settings.model_dtype)
    loaded = load_model(resolve_model(model_name), dtype, settings.model_cache_dir)
    chat_tokens = ChatTokens(loaded.tokenizer)
    prompts = [support_prompt(i) for i in range(args.concurrency)]
    prompt_tokens = [len(chat_tokens.encode(p)) for p in prompts]
    # Both paths are warmed up on other text (the measured run starts with no cached prefix).
    warm = [[ChatMessage("system", "Warm-up."), ChatMessage("user", f"Say {i}.")] for i in range(4)]
    run_baseline(loaded.model, chat_tokens, warm[:1], 4)
    baseline = run_baseline(loaded.model, chat_tokens, prompts, args.new_tokens)
    # The engine takes over the same loaded model (in bfloat16 it keeps prepacked weights only).
    engine = LocalEngine(
        loaded.model,
        loaded.tokenizer,
        name=model_name,
        max_batch=args.concurrency,
        queue_size=max(args.concurrency, settings.engine_queue_size),
        prefill_chunk=args.prefill_chunk,
    )
    engine.start()
    await asyncio.gather(*(engine.generate(GenerationRequest(m, max_new_tokens=8)) for m in warm))
    engine.prefix_cache.clear()
    engine.stats.trace = []
    results, elapsed = await run_engine(engine, prompts, args.new_tokens)
    await engine.close()
    steps = engine.stats.trace
    prefill_steps = [s for s in steps if s[1] > 0]
    decode_steps = [s for s in steps if s[1] == 0]
    full_batch = [s[2] for s in decode_steps if s[0] == args.concurrency]
    tokens = sum(r.completion_tokens for r in results)
    ttft = [1000 * (r.time_to_first_token or 0.0) for r in results]
    latency = [1000 * r.total_time for r in results]
    engine_rate = tokens / elapsed
    return {
        "model": model_name,
        "dtype": str(dtype).removeprefix("torch."),
        "threads": threads,
        "concurrency": args.concurrency,
        "new_tokens": args.new_tokens,
        "prompt_tokens_mean": round(statistics.mean(prompt_tokens), 1),
        "baseline_tokens_per_s": round(baseline["tokens_per_s"], 1),
        "engine_tokens_per_s": round(engine_rate, 1),
        "speedup": round(engine_rate / baseline["tokens_per_s"], 2),
        "ttft_p50_ms": round(percentile(ttft, 0.5)),
        "ttft_p95_ms": round(percentile(ttft, 0.95)),
        "latency_p50_ms": round(percentile(latency, 0.5)),
        "latency_p95_ms": round(percentile(latency, 0.95)),
        "engine_wall_s": round(elapsed, 2),
        "baseline_wall_s": round(baseline["seconds"], 2),
        "engine_steps": len(steps),
        "prefill_tokens": sum(s[1] for s in prefill_steps),
        "prefill_steps_s": round(sum(s[2] for s in prefill_steps), 2),
        "decode_only_steps": len(decode_steps),
        "decode_only_steps_s": round(sum(s[2] for s in decode_steps), 2),
        "decode_step_ms_full_batch": round(1000 * statistics.median(full_batch))
        if full_batch
        else None,
        "prefix_reused_tokens": engine.prefix_cache.reused_tokens,
        "finish_reasons": sorted({r.finish_reason for r in results}),
        "load_seconds": round(loaded.load_seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.engine", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--concurrency", type=int, default=16, help="customers (default 16)")
    parser.add_argument("--new-tokens", type=int, default=64, help="tokens per reply (default 64)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--model", help="SUPPORTBOT_MODEL override")
    parser.add_argument("--dtype", choices=["auto", "bfloat16", "float32"], help="dtype override")
    parser.add_argument("--prefill-chunk", type=int, default=512, help="prompt tokens per step")
    args = parser.parse_args(argv)
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
