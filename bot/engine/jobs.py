"""One request's life inside the local engine, and handing its results back to asyncio.

Also the two small things the worker shares with its owner: ``WorkerStats`` (counters) and
``Tokenization`` (what the worker needs from the tokenizer).

A ``Job`` is created on the event loop, owned by the inference worker thread from then on (the
loop only ever sets ``cancelled``), and reports back through ``loop.call_soon_threadsafe``: the
worker collects one step's text pieces and finished results and posts them in one callback per
event loop (``Outbox``), so a step with 16 rows costs one wake-up, not 16.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.engine.base import FinishReason, Generation, GenerationRequest, TextCallback
from bot.engine.kv_cache import PromptKV
from bot.engine.text_stream import TextStream

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Job:
    """A request plus everything the worker tracks about it."""

    request: GenerationRequest
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Generation]
    on_text: TextCallback | None
    submitted_at: float = field(default_factory=time.monotonic)
    cancelled: bool = False  # set on the event loop when the awaiting task is cancelled
    prompt_ids: list[int] = field(default_factory=list)
    block_names: list[int] = field(default_factory=list)  # chained hashes of full blocks
    max_new_tokens: int = 0
    prompt_kv: PromptKV | None = None  # while prefilling
    reused_prefix: int = 0  # leading prompt tokens whose keys/values came from the cache
    blocks_stored: int = 0  # leading full blocks already in (or offered to) the cache
    generated: list[int] = field(default_factory=list)
    text: TextStream | None = None
    first_token_at: float | None = None

    @property
    def prompt_done(self) -> bool:
        return self.prompt_kv is not None and self.prompt_kv.filled == len(self.prompt_ids)

    def result(self, reason: FinishReason, model: str, error: str | None = None) -> Generation:
        now = time.monotonic()
        return Generation(
            text=self.text.text if self.text is not None else "",
            prompt_tokens=len(self.prompt_ids),
            completion_tokens=len(self.generated),
            finish_reason=reason,
            time_to_first_token=(
                None if self.first_token_at is None else self.first_token_at - self.submitted_at
            ),
            total_time=now - self.submitted_at,
            model=model,
            error=error,
        )


def _deliver(pieces: list[tuple[Job, str]], results: list[tuple[Job, Generation]]) -> None:
    """Runs on the event loop: call ``on_text`` for each piece, then resolve finished futures."""
    for job, piece in pieces:
        if job.on_text is not None and not job.future.done():
            try:
                job.on_text(piece)
            except Exception:  # a broken callback must not take down other customers
                log.exception("on_text callback failed")
    for job, generation in results:
        if not job.future.done():
            job.future.set_result(generation)


class Outbox:
    """What one worker step hands back to the event loop(s)."""

    def __init__(self) -> None:
        self.pieces: dict[asyncio.AbstractEventLoop, list[tuple[Job, str]]] = defaultdict(list)
        self.results: dict[asyncio.AbstractEventLoop, list[tuple[Job, Generation]]] = defaultdict(
            list
        )

    def piece(self, job: Job, text: str) -> None:
        if text:
            self.pieces[job.loop].append((job, text))

    def finish(self, job: Job, generation: Generation) -> None:
        self.results[job.loop].append((job, generation))

    def send(self) -> None:
        for loop in set(self.pieces) | set(self.results):
            # RuntimeError: that event loop is closed, so nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(
                    _deliver, self.pieces.get(loop, []), self.results.get(loop, [])
                )
        self.pieces.clear()
        self.results.clear()


@dataclass(slots=True)
class WorkerStats:
    """Counters for tests, logs and the benchmark."""

    steps: int = 0
    prefill_tokens: int = 0
    decode_tokens: int = 0
    finished: int = 0
    max_rows: int = 0
    trace: list[tuple[int, int, float]] | None = None  # (decode rows, prefill tokens, seconds)


class Tokenization:
    """What the worker needs from the tokenizer; implemented in ``local`` (and guarded there)."""

    eos_ids: frozenset[int]

    def prompt(self, job: Job) -> list[int]:
        raise NotImplementedError

    def decode(self, ids: Sequence[int]) -> str:
        raise NotImplementedError
