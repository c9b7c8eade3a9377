"""Planning one step's prompt work for the inference worker.

Which waiting prompts get how many tokens prefilled this step (up to the step's token budget),
their prompt KV seeded from the block ``PrefixCache`` when they start, and their computed full
blocks stored back after every step (so a request arriving mid-burst already finds them). A
prompt that shares more leading blocks with a prompt still being prefilled than the cache holds
waits for those blocks instead of computing them a second time. ``backlog_after`` says how many
prompt tokens remain after the step (the worker pauses decoding while that backlog lasts).

Order: ``fifo`` serves prompts in arrival order; ``shortest`` serves the prompt with the least
left to compute first (shortest-remaining-first lowers the mean and p95 time to first token of a
burst, and a prompt mostly covered by the cache gets its first token at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from bot.engine.jobs import Job
from bot.engine.packed_llama import PackedLlama, PrefillChunk
from bot.engine.prefix_cache import PrefixCache, block_hashes, common_prefix_length

Plan = list[tuple[Job, PrefillChunk]]
Order = Literal["fifo", "shortest"]


class PrefillPlanner:
    """Splits up to ``chunk`` prompt tokens a step over the prompts being prefilled."""

    def __init__(
        self, runner: PackedLlama, prefix_cache: PrefixCache, chunk: int, order: Order = "fifo"
    ) -> None:
        self.runner = runner
        self.prefix_cache = prefix_cache
        self.chunk = chunk
        self.order = order

    def plan(self, prefilling: Sequence[Job]) -> Plan:
        budget = self.chunk
        plan: Plan = []
        for job in prefilling:
            if job.prompt_kv is None and not job.block_names and job.prompt_ids:
                job.block_names = block_hashes(job.prompt_ids, self.prefix_cache.block_size)
        for job in self._ordered(prefilling):
            if budget <= 0:
                break
            if job.prompt_kv is None:
                if self._wait_for_inflight(job, prefilling):
                    continue
                self._start(job)
            kv = job.prompt_kv
            assert kv is not None
            take = min(budget, len(job.prompt_ids) - kv.filled)
            end = kv.filled + take
            ids = job.prompt_ids[kv.filled : end]
            plan.append((job, PrefillChunk(kv, ids, kv.filled, end == len(job.prompt_ids))))
            budget -= take
        return plan

    def _ordered(self, prefilling: Sequence[Job]) -> list[Job]:
        if self.order == "fifo":
            return list(prefilling)
        return sorted(prefilling, key=self._left_to_compute)

    def _left_to_compute(self, job: Job) -> int:
        if job.prompt_kv is not None:
            return len(job.prompt_ids) - job.prompt_kv.filled
        cached = self.prefix_cache.cached_blocks(job.prompt_ids, job.block_names)
        return len(job.prompt_ids) - cached * self.prefix_cache.block_size

    def _wait_for_inflight(self, job: Job, prefilling: Sequence[Job]) -> bool:
        """True when a prompt already being prefilled will soon compute blocks that ``job``
        shares and the cache does not hold yet (reusing them beats computing them twice)."""
        cached = self.prefix_cache.cached_blocks(job.prompt_ids, job.block_names)
        usable = (len(job.prompt_ids) - 1) // self.prefix_cache.block_size
        for other in prefilling:
            if other is job or other.prompt_kv is None:
                continue
            shared = common_prefix_length(job.block_names, other.block_names)
            if min(shared, usable) > cached:
                return True
        return False

    def _start(self, job: Job) -> None:
        """Give ``job`` its prompt KV, seeded from the prefix cache."""
        blocks, reused = self.prefix_cache.lookup(job.prompt_ids, job.block_names)
        job.prompt_kv = self.runner.new_prompt_kv(len(job.prompt_ids))
        job.prompt_kv.copy_blocks_in(blocks)
        job.reused_prefix = reused
        job.blocks_stored = reused // self.prefix_cache.block_size

    def store_blocks(self, job: Job) -> None:
        """Keep ``job``'s newly computed full blocks for the requests that share them."""
        kv = job.prompt_kv
        if kv is None:
            return
        full = kv.filled // self.prefix_cache.block_size
        if full > job.blocks_stored:
            job.blocks_stored = self.prefix_cache.insert(
                job.prompt_ids, job.block_names[:full], kv, job.blocks_stored
            )


def backlog_after(prefilling: Sequence[Job], plan: Plan) -> int:
    """Prompt tokens still to prefill once ``plan`` has run."""
    planned = {id(job): len(chunk.token_ids) for job, chunk in plan}
    return sum(
        len(job.prompt_ids)
        - (job.prompt_kv.filled if job.prompt_kv else 0)
        - planned.get(id(job), 0)
        for job in prefilling
    )
