"""The inference worker: one thread that owns the model and serves every request.

Each loop iteration is one step (continuous batching): drop cancelled and expired requests,
admit waiting requests into free batch slots, then run one packed forward pass made of the next
token of every decoding row plus up to ``prefill_chunk`` prompt tokens of requests still being
prefilled (in the planner's order). A prompt whose prefill completes
gets its first token in that same step and joins the decoding rows; a row that stops leaves the
batch at once. While a burst of prompts is being prefilled the decoding rows sit out (for at
most ``decode_pause`` seconds), so first tokens come sooner. Which prompt tokens a step
prefills (and which cached prefix blocks they reuse) is planned in ``prefill``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import torch

from bot.engine.base import EngineBusy, EngineUnavailable, FinishReason
from bot.engine.jobs import Job, Outbox, Tokenization, WorkerStats
from bot.engine.memory import trim_heap
from bot.engine.packed_llama import PackedLlama
from bot.engine.prefill import Order, Plan, PrefillPlanner, backlog_after
from bot.engine.prefix_cache import PrefixCache
from bot.engine.sampling import RowSampling, pick_tokens
from bot.engine.text_stream import TextStream

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class InferenceWorker:
    """Runs the step loop in its own thread; other threads only call ``submit``/``wake``."""

    def __init__(
        self,
        runner: PackedLlama,
        tokens: Tokenization,
        *,
        model_name: str,
        max_batch: int,
        prefill_chunk: int,
        prefix_cache: PrefixCache,
        prefill_order: Order = "fifo",
        clock: Clock = time.monotonic,
        threads: int | None = None,
        decode_pause: float = 1.5,
    ) -> None:
        self.runner = runner
        self.tokens = tokens
        self.model_name = model_name
        self.max_batch = max_batch
        self.prefill = PrefillPlanner(runner, prefix_cache, prefill_chunk, prefill_order)
        self.clock = clock
        self.threads = threads
        self.decode_pause = decode_pause
        self._last_decode = time.monotonic()
        self.stats = WorkerStats()
        self.queue: deque[Job] = deque()  # guarded by ``lock``
        self.lock = threading.Condition()
        self._stopping = False
        self._prefilling: list[Job] = []
        self._decoding: list[Job] = []  # row i of the batch KV is _decoding[i]
        self._batch = runner.new_batch_kv(max_batch)
        self._thread = threading.Thread(target=self._run, name="inference-worker", daemon=True)
        self._idle = threading.Event()
        self._idle.set()

    # --- called from other threads ------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def submit(self, job: Job, queue_limit: int) -> None:
        """Queue ``job``; raise ``EngineBusy`` at once when ``queue_limit`` jobs already wait."""
        with self.lock:
            if self._stopping:
                raise EngineUnavailable("the generation engine is closed")
            if len(self.queue) >= queue_limit:
                raise EngineBusy(f"{len(self.queue)} requests are already waiting")
            self.queue.append(job)
            self._idle.clear()
            self.lock.notify()

    def wake(self) -> None:
        with self.lock:
            self.lock.notify()

    def stop(self) -> list[Job]:
        """Stop the thread (blocking) and return the jobs it did not finish."""
        with self.lock:
            self._stopping = True
            self.lock.notify()
        if self._thread.is_alive():
            self._thread.join()
        with self.lock:
            left = list(self.queue) + self._prefilling + self._decoding
            self.queue.clear()
        self._prefilling, self._decoding = [], []
        self._batch.clear()
        return left

    @property
    def active(self) -> int:
        """Requests admitted into the batch (prefilling or decoding)."""
        return len(self._prefilling) + len(self._decoding)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no request is queued or running (tests and benchmarks)."""
        return self._idle.wait(timeout)

    # --- the worker thread --------------------------------------------------------------------
    def _run(self) -> None:
        if self.threads:
            torch.set_num_threads(self.threads)
        with torch.inference_mode():
            while True:
                with self.lock:
                    while not self._stopping and not self.queue and not self.active:
                        self._idle.set()
                        self.lock.wait()
                    if self._stopping:
                        return
                    self._idle.clear()
                outbox = Outbox()
                try:
                    self._step(outbox)
                except Exception as exc:
                    log.exception("generation step failed")
                    self._fail_all(outbox, f"{type(exc).__name__}: {exc}")
                outbox.send()

    def _finish(
        self, outbox: Outbox, job: Job, reason: FinishReason, error: str | None = None
    ) -> None:
        if job.text is not None:
            outbox.piece(job, job.text.flush())
        outbox.finish(job, job.result(reason, self.model_name, error))
        job.prompt_kv = None
        self.stats.finished += 1

    def _fail_all(self, outbox: Outbox, error: str) -> None:
        for job in self._prefilling + self._decoding:
            self._finish(outbox, job, "error", error)
        self._prefilling, self._decoding = [], []
        self._batch.clear()

    def _expired(self, job: Job, now: float) -> FinishReason | None:
        if job.cancelled:
            return "cancelled"
        if job.request.deadline is not None and now >= job.request.deadline:
            return "deadline"
        return None

    def _drop_expired(self, outbox: Outbox) -> None:
        now = self.clock()
        with self.lock:
            for job in list(self.queue):
                if reason := self._expired(job, now):
                    self.queue.remove(job)
                    self._finish(outbox, job, reason)
        for job in list(self._prefilling):
            if reason := self._expired(job, now):
                self._prefilling.remove(job)
                self._finish(outbox, job, reason)
        for row in reversed(range(len(self._decoding))):  # rows move: drop from the end
            if reason := self._expired(self._decoding[row], now):
                self._finish(outbox, self._decoding[row], reason)
                self._remove_row(row)

    def _remove_row(self, row: int) -> None:
        self._batch.remove_row(row)
        self._decoding[row] = self._decoding[-1]
        self._decoding.pop()

    def _admit(self, outbox: Outbox) -> None:
        while self.active < self.max_batch:
            with self.lock:
                if not self.queue:
                    return
                job = self.queue.popleft()
            try:
                job.prompt_ids = self.tokens.prompt(job)
            except Exception as exc:
                self._finish(outbox, job, "error", f"{type(exc).__name__}: {exc}")
                continue
            room = self.runner.max_positions - len(job.prompt_ids)
            if room < 1:
                self._finish(outbox, job, "error", "prompt longer than the model's context")
                continue
            job.max_new_tokens = min(job.max_new_tokens, room)
            job.text = TextStream(self.tokens.decode, job.request.stop)
            self._prefilling.append(job)

    def _sampling(self, job: Job) -> RowSampling:
        request = job.request
        seen: set[int] = set()
        if request.repetition_penalty != 1.0:
            seen = set(job.prompt_ids) | set(job.generated)
        return RowSampling(
            temperature=request.temperature,
            top_p=request.top_p,
            repetition_penalty=request.repetition_penalty,
            seen=seen,
            banned=tuple(self.tokens.eos_ids) if request.ignore_eos else (),
        )

    def _step(self, outbox: Outbox) -> None:
        self._drop_expired(outbox)
        self._admit(outbox)
        plan = self.prefill.plan(self._prefilling)
        rows = list(self._decoding) if self._decode_now(plan) else []
        if not rows and not plan:
            return
        decode_tokens = [job.generated[-1] for job in rows]
        started = time.perf_counter()
        logits = self.runner.step(self._batch, decode_tokens, [chunk for _, chunk in plan])
        if self.stats.trace is not None:
            prefill = sum(len(chunk.token_ids) for _, chunk in plan)
            self.stats.trace.append((len(rows), prefill, time.perf_counter() - started))
        self.stats.steps += 1
        self.stats.decode_tokens += len(rows)
        self.stats.prefill_tokens += sum(len(chunk.token_ids) for _, chunk in plan)
        for job, _ in plan:
            self.prefill.store_blocks(job)
        completed = [job for job, chunk in plan if chunk.wants_logits]
        sampled = rows + completed
        tokens = pick_tokens(logits, [self._sampling(job) for job in sampled])
        now = time.monotonic()
        if rows:
            self._last_decode = now
        first_new_row = len(self._decoding)
        for job in completed:
            self._prefilling.remove(job)
            assert job.prompt_kv is not None
            self._batch.add_row(job.prompt_kv, reserve=len(job.prompt_ids) + job.max_new_tokens)
            job.prompt_kv = None
            job.first_token_at = now
            self._decoding.append(job)
        if completed:
            trim_heap()  # the prompts' keys/values and prefill activations left holes
        self.stats.max_rows = max(self.stats.max_rows, len(self._decoding))
        finished: list[tuple[int, FinishReason]] = []
        row_of = [*range(len(rows)), *range(first_new_row, first_new_row + len(completed))]
        for row, job, token in zip(row_of, sampled, tokens, strict=True):
            reason = self._accept(outbox, job, token)
            if reason is not None:
                finished.append((row, reason))
        for row, reason in sorted(finished, reverse=True):
            self._finish(outbox, self._decoding[row], reason)
            self._remove_row(row)

    def _decode_now(self, plan: Plan) -> bool:
        """Whether the decoding rows take part in this step.

        While a burst of prompts is still being prefilled (tokens remain after this step's
        chunks), decoding pauses so every customer gets a first token sooner; riding along costs
        a prefill step about as much as a separate decode step. The pause never lasts longer
        than ``decode_pause`` seconds, so replies already streaming keep moving.
        """
        if not self._decoding or not plan:
            return True
        backlog = backlog_after(self._prefilling, plan)
        return backlog == 0 or time.monotonic() - self._last_decode >= self.decode_pause

    def _accept(self, outbox: Outbox, job: Job, token: int) -> FinishReason | None:
        """Append one generated token; return why the job ends now, if it does."""
        job.generated.append(token)
        if token in self.tokens.eos_ids and not job.request.ignore_eos:
            return "stop"
        assert job.text is not None
        outbox.piece(job, job.text.push(token))
        if job.text.stopped:
            return "stop"
        if len(job.generated) >= job.max_new_tokens:
            return "length"
        return None
