"""Peak resident memory of the whole bot, and where it comes from.

    python -m bench.memory [--json] [--runs 3] [--avx2]

``chat``: runs ``supportbot chat`` in a child process on a fresh SQLite database (the demo FAQ
imported), answers five questions on stdin, and reads the child's peak RSS from the kernel
(what ``/usr/bin/time -v`` reports as "Maximum resident set size"). ``stages``: a second child
opens the same parts one after the other, in the order the app opens them, and records the
resident and peak memory after each: imports, the retrieval encoder and index, jieba's
dictionary, the first focused FAQ answer (sentence vectors), the generation model loaded, taken
over by the engine, one answer, and the first question the mpnet reranker looks at (it is
loaded then, not at start; its entry vectors come from the model cache's vector files). Both
children use the configured model cache (SUPPORTBOT_MODEL_CACHE_DIR), as the bot does.

``--runs N`` repeats the chat N times (peaks, their spread and whether every run gave the same
answers). ``--avx2`` runs both children as on a CPU without AVX-512 BF16: torch, oneDNN, MKL and
fbgemm limited to AVX2 (``AVX2_ONLY``), so the engine picks float16 weights (``bot.engine.cpu``).
The encoders choose their dtype from /proc/cpuinfo, which these variables do not change: they
stay bfloat16 there, where a real AVX2 CPU would run them in float32 (``chat.engine`` and the
report say what ran).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

AVX2_ONLY = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "FBGEMM_ENABLE_INSTRUCTIONS": "AVX2",
}
YOU_PROMPT, BOT_PROMPT = "you> ", "bot> "  # prompts/locales: console_prompt, console_bot
Mark = Callable[[str, Callable[[], Any]], Any]
UNSURE_ENGLISH = "I want to send back a lamp that arrived broken, what do I do?"  # re-ranked
QUESTIONS = [
    "How long does shipping take?",
    "Can I pay with a gift card and still get express delivery?",
    UNSURE_ENGLISH,
    "do you deliver on weekends and how much does it cost",
    "How do I reset my password?",
]


def memory_mb() -> dict[str, int]:
    """Resident and peak resident memory of this process (``/proc/self/status``), in MB:
    ``anon_mb`` is the process's own memory, ``file_mb`` mapped file pages (libraries, weights
    mapped from their files)."""
    fields: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM", "RssAnon", "RssFile"}:
            fields[name] = int(rest.split()[0]) // 1024
    return {
        "rss_mb": fields["VmRSS"],
        "peak_mb": fields["VmHWM"],
        "anon_mb": fields["RssAnon"],
        "file_mb": fields["RssFile"],
    }


def child_env(folder: str, *, avx2: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    if avx2:
        env.update(AVX2_ONLY)
    env["SUPPORTBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{Path(folder) / 'memory.db'}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def measure_chat(*, avx2: bool = False) -> dict[str, Any]:
    """Peak RSS of ``supportbot chat`` answering ``QUESTIONS`` (kernel accounting)."""
    stdin = "\n".join([*QUESTIONS, "/quit"]) + "\n"
    with tempfile.TemporaryDirectory(prefix="supportbot-memory-") as folder:
        started = time.perf_counter()
        log = Path(folder) / "chat.log"
        with log.open("w") as errors:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "chat", "--lang", "en"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=child_env(folder, avx2=avx2),
                text=True,
            )
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(stdin)
            process.stdin.close()
            output = process.stdout.read()
            _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        logged = log.read_text(errors="replace")
    return {
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "exit_code": process.returncode,
        "reranker_loaded": "loaded all-mpnet-base-v2" in logged,  # by the unsure question
        "questions": len(QUESTIONS),
        "output_lines": len([line for line in output.splitlines() if line.strip()]),
        "answers": _replies(output),
        "engine": _engine_runs(logged),
        "wall_s": round(time.perf_counter() - started, 1),
    }


def _replies(output: str) -> list[str]:
    """The bot's replies in the chat's output, whole (what follows "bot> " up to the next
    prompt)."""
    turns = output.split(YOU_PROMPT)[1:]
    return [" ".join(turn.partition(BOT_PROMPT)[2].split()) for turn in turns if BOT_PROMPT in turn]


def _engine_runs(logged: str) -> str:
    """What the chat's engine ran, from its "engine runs {...}" log line."""
    for line in logged.splitlines():
        if "engine runs " in line:
            return line.partition("engine runs ")[2].strip()
    return ""


def measure_chats(runs: int, *, avx2: bool = False) -> dict[str, Any]:
    """``runs`` chats: each one's figures, the peaks' spread, and whether answers agreed."""
    chats = [measure_chat(avx2=avx2) for _ in range(runs)]
    peaks = [chat["peak_rss_mb"] for chat in chats]
    return {
        **chats[-1],
        "peak_rss_mb_runs": peaks,
        "peak_rss_mb_max": max(peaks),
        "peak_rss_mb_spread": max(peaks) - min(peaks),
        "same_answers_every_run": all(chat["answers"] == chats[0]["answers"] for chat in chats),
    }


def stages() -> list[dict[str, Any]]:
    """Open the bot's memory-heavy parts one by one; memory after each (run in a child)."""
    from bot.config import load_settings

    settings = load_settings()
    marks: list[dict[str, Any]] = [{"stage": "python + settings", **memory_mb()}]

    def mark(stage: str, action: Callable[[], Any]) -> Any:  # a Mark
        result = action()
        marks.append({"stage": stage, **memory_mb()})
        return result

    mark("import torch", lambda: __import__("torch"))
    mark("import transformers models", lambda: __import__("transformers").PreTrainedModel)
    from bot.knowledge.encoders.loading import load_encoder
    from bot.knowledge.faq.faqfile import read_faq_file
    from bot.knowledge.ranking.index import FaqIndex
    from bot.knowledge.ranking.sentences import SentenceScorer
    from bot.knowledge.text.tokens import _jieba

    encoder = mark(
        "retrieval encoder",
        lambda: load_encoder(settings.embedding_model, cache_dir=settings.model_cache_dir),
    )
    index = FaqIndex(encoder)
    records = read_faq_file(settings.prompts_dir / "faq.yaml")
    mark("FAQ index (demo)", lambda: index.rebuild(r.to_document() for r in records))
    mark("jieba dictionary", _jieba)
    hit = index.search(QUESTIONS[0])[0]
    mark(
        "first focused FAQ answer", lambda: SentenceScorer(index).focus(QUESTIONS[0], hit.document)
    )
    engine = _engine_stages(settings, mark)
    asyncio.run(_answering_stages(engine, index, mark))
    return marks


async def _answering_stages(engine: Any, index: Any, mark: Mark) -> None:
    """The engine started and answering, the reranker loaded in between (one event loop)."""
    engine.start()
    try:
        await engine.warm_up()
        first = await _answer(engine, QUESTIONS[1])
        mark("warm-up + one answer", lambda: first)
        # mpnet is loaded by the first English question MiniLM is unsure of
        # (bot.knowledge.ranking.rerank), while the engine holds its weights, as in the bot
        mark("first re-ranked question", lambda: index.search(UNSURE_ENGLISH))
        second = await _answer(engine, QUESTIONS[3])
        mark("one more answer", lambda: second)
    finally:
        await engine.close()


async def _answer(engine: Any, question: str) -> str:
    from bot.engine.base import ChatMessage, GenerationRequest

    messages = [ChatMessage("system", "You are helpful."), ChatMessage("user", question)]
    result = await engine.generate(GenerationRequest(messages, max_new_tokens=32))
    return str(result.text)


def _engine_stages(settings: Any, mark: Mark) -> Any:
    """The generation model loaded and taken over by the engine (not started yet)."""
    from bot.engine.cpu import choose_format, load_dtype
    from bot.engine.loading import configure_threads, load_model
    from bot.engine.local import LocalEngine
    from bot.engine.model_source import resolve_model

    threads = configure_threads(settings.model_threads)
    source, weights = resolve_model(settings.model), choose_format(settings.model_dtype)
    loaded = mark(
        "generation model loaded",
        lambda: load_model(source, load_dtype(weights), settings.model_cache_dir),
    )
    engine = mark(
        "engine took over the weights",
        lambda: LocalEngine(
            loaded.model,
            loaded.tokenizer,
            max_batch=settings.engine_max_batch,
            cache_mb=settings.engine_cache_mb,
            threads=threads,
            weights=weights,
        ),
    )
    return engine


def measure_stages(*, avx2: bool = False) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="supportbot-memory-") as folder:
        out = subprocess.run(
            [sys.executable, "-m", "bench.memory", "--stages-child"],
            capture_output=True,
            text=True,
            env=child_env(folder, avx2=avx2),
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=1, help="chats to run (default 1)")
    parser.add_argument("--avx2", action="store_true", help="limit torch & co. to AVX2")
    parser.add_argument("--stages-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stages_child:
        print(json.dumps(stages()))
        return
    result = {
        "avx2_forced": args.avx2,
        "chat": measure_chats(args.runs, avx2=args.avx2),
        "stages": measure_stages(avx2=args.avx2),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
