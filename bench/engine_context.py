"""The engine benchmark's FAQ context as the product chooses it: through ``open_app``.

For each question the bench asks the app's own services what the conversation service would
give the model: ``Lookup.find`` (retrieval, re-ranking), ``decide`` (the answer policy keeps
the best entry and the others above the related threshold, at most ``MAX_CONTEXT_ENTRIES``)
and ``lead_sentences`` (the sentence scorer's focus, which the prompt builder applies). The app
runs on a temporary SQLite file with its own vector scope, and in a spawned child process, so
its encoders never sit under the engine's peak RSS (``ru_maxrss`` is per process).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

from bench.temporary_app import temporary_app
from bot.app import App
from bot.config import Settings
from bot.conversation.generation import lead_sentences
from bot.conversation.policy import decide
from bot.knowledge.entries import FaqDocument
from bot.knowledge.faq.faqfile import FaqRecord
from bot.prompting.builder import focused_documents

VECTOR_SCOPE = "bench-engine"
FIXED_ENTRIES = 3  # the workloads: the top three entries, whatever their confidence
Result = TypeVar("Result")


@asynccontextmanager
async def bench_app(settings: Settings, records: Sequence[FaqRecord] | None) -> AsyncIterator[App]:
    """The app without a model on a temporary database: the demo FAQ, or ``records`` only."""
    async with temporary_app(
        settings,
        prefix="supportbot-bench-engine-",
        import_demo=records is None,
        vector_scope=VECTOR_SCOPE,
    ) as app:
        if records is not None:
            await app.catalog.import_records(records, author=None)
        yield app


class ProductContext:
    """The entries (focused as the prompt shows them) the app would pass with a question;
    ``fixed``: the issue's workload instead, the top three hits whole."""

    def __init__(self, app: App, *, fixed: bool = False) -> None:
        self.app = app
        self.fixed = fixed
        self.focus = lead_sentences(app.conversation.scorer)
        self.entries: list[int] = []  # entries passed per question, for the bench's report

    async def documents(self, question: str) -> list[FaqDocument]:
        """A first turn's context. A question the policy would hand off (nothing related)
        still gets its best hit: the bench needs every customer to reach the engine."""
        hits = (await self.app.conversation.lookup.find(question, None)).hits
        if self.fixed:
            self.entries.append(len(hits[:FIXED_ENTRIES]))
            return [hit.document for hit in hits[:FIXED_ENTRIES]]
        decision = decide(hits, limits=self.app.conversation.limits)
        chosen = [hit.document for hit in decision.context] or [h.document for h in hits[:1]]
        self.entries.append(len(chosen))
        return focused_documents(question, chosen, self.focus)


def in_child(function: Callable[..., Result], *args: object) -> Result:
    """``function(*args)`` in a spawned process (same environment), its result sent back."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(function, *args).result()
