"""LocalEngine: the ``GenerationEngine`` that runs a transformers model in this process.

This is the asyncio face of the engine: it renders chat messages with the tokenizer's chat
template, queues requests for the ``InferenceWorker`` thread (which batches them), and turns
cancellation of an awaiting task into a freed batch slot. Nothing here blocks the event loop
except tokenizing for ``count_tokens``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from transformers import PreTrainedModel
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from bot.engine.base import (
    ChatMessage,
    EngineUnavailable,
    Generation,
    GenerationEngine,
    GenerationRequest,
    TextCallback,
)
from bot.engine.cpu import WeightFormat, describe
from bot.engine.jobs import Job, Tokenization, WorkerStats
from bot.engine.loading import release_free_memory
from bot.engine.packed_llama import PackedLlama
from bot.engine.prefill import Order
from bot.engine.prefix_cache import PrefixCache
from bot.engine.worker import Clock, InferenceWorker


class ChatTokens(Tokenization):
    """Chat template rendering and decoding, serialised by a lock (tokenizers are not
    guaranteed thread-safe, and both the event loop and the worker use this one)."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, extra_eos: Sequence[int] = ()) -> None:
        self.tokenizer = tokenizer
        self._lock = threading.Lock()
        eos = {tokenizer.eos_token_id, *extra_eos} - {None}
        self.eos_ids = frozenset(int(i) for i in eos)

    def _render(self, messages: Sequence[ChatMessage], generation_prompt: bool) -> list[int]:
        chat = [{"role": m.role, "content": m.content} for m in messages]
        text = self.tokenizer.apply_chat_template(
            chat, tokenize=False, add_generation_prompt=generation_prompt
        )
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def encode(self, messages: Sequence[ChatMessage]) -> list[int]:
        with self._lock:
            return self._render(messages, True)

    def prompt(self, job: Job) -> list[int]:
        return self.encode(job.request.messages)

    def decode(self, ids: Sequence[int]) -> str:
        with self._lock:
            return self.tokenizer.decode(
                list(ids), skip_special_tokens=True, clean_up_tokenization_spaces=False
            )


class LocalEngine(GenerationEngine):
    """Continuous-batching engine over a Llama-family transformers model on CPU.

    ``max_batch`` requests are decoded together; up to ``queue_size`` more wait (beyond that
    ``generate`` raises ``EngineBusy`` at once). ``max_new_tokens`` caps every request.
    ``prefill_chunk`` is how many prompt tokens one step prefills alongside the decoding rows:
    larger chunks finish a burst of prompts sooner (decode rows ride along with fewer steps),
    smaller ones keep streaming replies smoother while prompts arrive. While a burst of prompts
    is being prefilled, decoding rows wait at most ``decode_pause`` seconds (0: they never
    wait), which brings everyone's first token sooner; ``prefill_order`` is which waiting
    prompt goes first (see ``prefill``). Prompt keys/values are cached in blocks of
    ``cache_block`` tokens within ``cache_mb`` megabytes and reused by any prompt that starts
    with the same tokens (see ``prefix_cache``). ``clock`` is what deadlines are compared
    against (tests pass a fake one). ``weights`` is the weight format the linear layers run
    (``cpu.choose_format``; default: the model's dtype); ``runs`` says what was chosen.
    """

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        name: str = "local",
        max_batch: int = 16,
        queue_size: int = 64,
        max_new_tokens: int | None = None,
        prefill_chunk: int = 512,
        prefill_order: Order = "fifo",
        cache_mb: float = 32,
        cache_block: int = 16,
        threads: int | None = None,
        decode_pause: float = 1.5,
        clock: Clock | None = None,
        weights: WeightFormat | None = None,
    ) -> None:
        try:
            runner = PackedLlama(model, rows_hint=max_batch, weights=weights)
        except ValueError as exc:
            raise EngineUnavailable(str(exc)) from exc
        if runner.released_model:
            release_free_memory()  # the transformers weights and packing temporaries are gone
        generation_eos = getattr(model.generation_config, "eos_token_id", None)
        extra = generation_eos if isinstance(generation_eos, list) else [generation_eos]
        self.name = name
        self.model = model  # its weights now live in the runner (released unless float32)
        self.runs = describe(runner.weights, runner.kernel)
        self.tokens = ChatTokens(tokenizer, [i for i in extra if i is not None])
        self.queue_size = queue_size
        self.max_new_tokens = max_new_tokens
        self.prefix_cache = PrefixCache(int(cache_mb * 2**20), block_size=cache_block)
        options = {"clock": clock} if clock is not None else {}
        self.worker = InferenceWorker(
            runner,
            self.tokens,
            model_name=name,
            max_batch=max_batch,
            prefill_chunk=prefill_chunk,
            prefix_cache=self.prefix_cache,
            prefill_order=prefill_order,
            threads=threads,
            decode_pause=decode_pause,
            **options,
        )
        self._started = False
        self._closed = False

    @property
    def stats(self) -> WorkerStats:
        return self.worker.stats

    def start(self) -> None:
        """Start the inference thread (requests submitted before wait in the queue)."""
        if not self._started:
            self._started = True
            self.worker.start()

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return len(self.tokens.encode(messages))

    async def generate(
        self, request: GenerationRequest, on_text: TextCallback | None = None
    ) -> Generation:
        if self._closed:
            raise EngineUnavailable("the generation engine is closed")
        loop = asyncio.get_running_loop()
        job = Job(request=request, loop=loop, future=loop.create_future(), on_text=on_text)
        cap = self.max_new_tokens or request.max_new_tokens
        job.max_new_tokens = max(1, min(request.max_new_tokens, cap))
        self.worker.submit(job, self.queue_size)
        try:
            return await asyncio.shield(job.future)
        except asyncio.CancelledError:
            job.cancelled = True
            self.worker.wake()
            raise

    async def warm_up(self) -> Generation:
        """One short generation, so the first customer does not pay for lazy initialisation."""
        request = GenerationRequest([ChatMessage("user", "Hello!")], max_new_tokens=4)
        return await self.generate(request)

    async def wait_idle(self) -> None:
        """Until nothing is queued or running."""
        await asyncio.to_thread(self.worker.wait_idle)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        left = await asyncio.to_thread(self.worker.stop)
        for job in left:
            if not job.future.done():
                generation = job.result("cancelled", self.name, "engine closed")
                job.loop.call_soon_threadsafe(_resolve, job.future, generation)


def _resolve(future: asyncio.Future[Generation], generation: Generation) -> None:
    if not future.done():
        future.set_result(generation)
