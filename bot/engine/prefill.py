"""Planning one step's prompt work for the inference worker.

Which waiting prompts get how many tokens prefilled this step (oldest first, up to the step's
token budget), their prompt KV seeded from the ``PrefixCache`` and the system-prompt prefix
stored back for others once computed, and how many prompt tokens remain after the step (the
worker pauses decoding while that backlog lasts).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.jobs import Job
from bot.engine.packed_llama import PackedLlama, PrefillChunk
from bot.engine.prefix_cache import PrefixCache

Plan = list[tuple[Job, PrefillChunk]]


class PrefillPlanner:
    """Splits up to ``chunk`` prompt tokens a step over the prompts being prefilled."""

    def __init__(self, runner: PackedLlama, prefix_cache: PrefixCache, chunk: int) -> None:
        self.runner = runner
        self.prefix_cache = prefix_cache
        self.chunk = chunk

    def plan(self, prefilling: Sequence[Job]) -> Plan:
        budget = self.chunk
        plan: Plan = []
        missed_this_step = False
        for job in prefilling:
            if budget <= 0:
                break
            if job.prompt_kv is None:
                if missed_this_step:
                    break  # let the prefix computed this step reach the cache first
                missed_this_step = not self._start(job)
            kv = job.prompt_kv
            assert kv is not None
            take = min(budget, len(job.prompt_ids) - kv.filled)
            end = kv.filled + take
            ids = job.prompt_ids[kv.filled : end]
            plan.append((job, PrefillChunk(kv, ids, kv.filled, end == len(job.prompt_ids))))
            budget -= take
        return plan

    def _start(self, job: Job) -> bool:
        """Give ``job`` its prompt KV, seeded from the prefix cache; True when the cache
        covered the job's whole system prompt (nothing new to store for others)."""
        entry, reused = self.prefix_cache.lookup(job.prompt_ids)
        job.prompt_kv = self.runner.new_prompt_kv(len(job.prompt_ids))
        if entry is not None:
            job.prompt_kv.copy_prefix_from(entry.kv, reused)
        job.reused_prefix = reused
        return reused >= job.shared_prefix

    def store_prefix(self, job: Job) -> None:
        """Once ``job``'s system prompt is computed, keep it for the requests that share it."""
        kv = job.prompt_kv
        if job.prefix_stored or job.reused_prefix >= job.shared_prefix or kv is None:
            return
        if kv.filled >= job.shared_prefix >= self.prefix_cache.min_tokens:
            self.prefix_cache.insert(
                job.prompt_ids[: job.shared_prefix], kv.prefix(job.shared_prefix)
            )
            job.prefix_stored = True


def backlog_after(prefilling: Sequence[Job], plan: Plan) -> int:
    """Prompt tokens still to prefill once ``plan`` has run."""
    planned = {id(job): len(chunk.token_ids) for job, chunk in plan}
    return sum(
        len(job.prompt_ids)
        - (job.prompt_kv.filled if job.prompt_kv else 0)
        - planned.get(id(job), 0)
        for job in prefilling
    )
