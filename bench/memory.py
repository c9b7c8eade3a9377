"""Peak resident memory of the whole bot, and where it comes from.

    python -m bench.memory [--json]

``chat``: runs ``supportbot chat`` in a child process on a fresh SQLite database (the demo FAQ
imported), answers five questions on stdin, and reads the child's peak RSS from the kernel
(what ``/usr/bin/time -v`` reports as "Maximum resident set size"). ``stages``: a second child
opens the same parts one after the other, in the order the app opens them, and records the
resident and peak memory after each: imports, the retrieval encoder and index, jieba's
dictionary, the first focused FAQ answer (sentence vectors), the generation model loaded, taken
over by the engine, one answer, and the first question the mpnet reranker looks at (it is
loaded then, not at start; its entry vectors come from the model cache's vector files). Both
children use the configured model cache (SUPPORTBOT_MODEL_CACHE_DIR), as the bot does.
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

UNSURE_ENGLISH = "I want to send back a lamp that arrived broken, what do I do?"  # re-ranked
QUESTIONS = [
    "How long does shipping take?",
    "Can I pay with a gift card and still get express delivery?",
    UNSURE_ENGLISH,
    "do you deliver on weekends and how much does it cost",
    "How do I reset my password?",
]


def memory_mb() -> dict[str, int]:
    """Resident and peak resident memory of this process (``/proc/self/status``), in MB."""
    fields: dict[str, int] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM", "RssAnon", "RssFile"}:
            fields[name] = int(rest.split()[0]) // 1024
    return {"rss_mb": fields["VmRSS"], "peak_mb": fields["VmHWM"], "file_mb": fields["RssFile"]}


def child_env(folder: str) -> dict[str, str]:
    env = dict(os.environ)
    env["SUPPORTBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{Path(folder) / 'memory.db'}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def measure_chat() -> dict[str, Any]:
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
                env=child_env(folder),
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
        "wall_s": round(time.perf_counter() - started, 1),
    }


def stages() -> list[dict[str, Any]]:
    """Open the bot's memory-heavy parts one by one; memory after each (run in a child)."""
    from bot.config import load_settings

    settings = load_settings()
    marks: list[dict[str, Any]] = [{"stage": "python + settings", **memory_mb()}]

    def mark(stage: str, action: Callable[[], Any]) -> Any:
        result = action()
        marks.append({"stage": stage, **memory_mb()})
        return result

    mark("import torch", lambda: __import__("torch"))
    mark("import transformers models", lambda: __import__("transformers").PreTrainedModel)
    from bot.knowledge.embedding import load_encoder
    from bot.knowledge.faqfile import read_faq_file
    from bot.knowledge.index import FaqIndex
    from bot.knowledge.sentences import SentenceScorer
    from bot.knowledge.tokens import _jieba

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
    _engine_stages(settings, mark)
    # mpnet is loaded by the first English question MiniLM is unsure of (bot.knowledge.rerank)
    mark("first re-ranked question", lambda: index.search(UNSURE_ENGLISH))
    return marks


def _engine_stages(settings: Any, mark: Callable[[str, Callable[[], Any]], Any]) -> None:
    """The generation model loaded, taken over by the engine, then answering once."""
    from bot.engine.base import ChatMessage, GenerationRequest
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
    messages = [ChatMessage("system", "You are helpful."), ChatMessage("user", QUESTIONS[1])]

    async def answer() -> str:
        engine.start()
        await engine.warm_up()
        result = await engine.generate(GenerationRequest(messages, max_new_tokens=32))
        await engine.close()
        return result.text

    mark("warm-up + one answer", lambda: asyncio.run(answer()))


def measure_stages() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="supportbot-memory-") as folder:
        out = subprocess.run(
            [sys.executable, "-m", "bench.memory", "--stages-child"],
            capture_output=True,
            text=True,
            env=child_env(folder),
            check=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--stages-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stages_child:
        print(json.dumps(stages()))
        return
    result = {
        "chat": measure_chat(),
        "stages": measure_stages(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result) if args.json else json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
