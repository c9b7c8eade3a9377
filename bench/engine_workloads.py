"""The engine benchmark's workloads: 16 support customers, and Zipf support traffic.

``support``: 16 different customers of a fictional shop (``engine_faq``), each with a question.
With ``context="product"`` (the default) each prompt carries what the product would pass: the
entries chosen by the app's retrieval and answer policy, focused on the question, through
``open_app`` (``engine_context``); ``context="fixed"`` is the workload the engine issue was
measured on: three entries per question (the answering one first, then two others), whole.
``zipf`` looks like support traffic: questions drawn with a Zipf distribution over the demo
FAQ's English entries (``prompts/faq.yaml``, phrased as the entry's question or one of its
variants), context from the app as above (``fixed``: its top three hits, whole), and a share of
follow-up turns whose earlier turn was served just before. Every prompt is laid out by the real
prompt builder under the product's system template (``prompts/system.j2``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bench.engine_context import ProductContext, bench_app, in_child
from bench.engine_faq import BUSINESS_NAME, FAQ, QUESTIONS
from bot.config import Settings
from bot.engine.base import ChatMessage
from bot.knowledge.entries import FaqDocument
from bot.knowledge.faq.faqfile import FaqRecord, read_faq_file
from bot.prompting.builder import DEFAULT_LAYOUT, Layout, layout_messages, render_system_prompt
from bot.prompting.templates import default_template

Context = Literal["product", "fixed"]
_PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
FOLLOW_UPS = [
    "And how much does that cost?",
    "OK, and how long does it take?",
    "Can I do that from my phone?",
    "What if I am abroad?",
]


def system_prompt(settings: Settings | None, business_name: str = BUSINESS_NAME) -> str:
    """The product's system template rendered for the bench's shop (``prompts/`` by default)."""
    folder = settings.prompts_dir if settings is not None else _PROMPTS
    return render_system_prompt(
        default_template(folder, "system"), business_name=business_name, language="en"
    )


def _document(index: int) -> FaqDocument:
    question, answer = FAQ[index]
    return FaqDocument(id=index, question=question, answer=answer)


def support_prompts(count: int, layout: Layout = DEFAULT_LAYOUT) -> list[list[ChatMessage]]:
    """The issue's workload: customer ``i`` asks ``QUESTIONS[i % 16]`` with its three entries."""
    system = system_prompt(None)
    prompts = []
    for index in range(count):
        question, *entries = QUESTIONS[index % len(QUESTIONS)]
        documents = [_document(e) for e in entries]
        prompts.append(layout_messages(system, question, documents, [], layout))
    return prompts


def product_support_prompts(
    settings: Settings, count: int, layout: Layout = DEFAULT_LAYOUT
) -> tuple[list[list[ChatMessage]], list[int]]:
    """Customer ``i`` asks ``QUESTIONS[i % 16]`` with the context the app chooses (the shop's
    FAQ imported into a temporary database), and the entries each prompt carries."""
    return in_child(_product_support, settings, count, layout)


def _product_support(
    settings: Settings, count: int, layout: Layout
) -> tuple[list[list[ChatMessage]], list[int]]:
    async def build() -> tuple[list[list[ChatMessage]], list[int]]:
        records = [FaqRecord(id=None, question=q, answer=a) for q, a in FAQ]
        async with bench_app(settings, records) as app:
            context = ProductContext(app)
            system = system_prompt(settings)
            prompts = []
            for index in range(count):
                question = QUESTIONS[index % len(QUESTIONS)][0]
                documents = await context.documents(question)
                prompts.append(layout_messages(system, question, documents, [], layout))
            return prompts, context.entries

    return asyncio.run(build())


@dataclass
class ZipfWorkload:
    """Conversations to open before the measured burst, and the burst itself (new customers
    and follow-ups of those conversations). ``follow_ups`` are filled in once the first turns
    have been answered (their history holds the real answers)."""

    system: str = ""
    first_turns: list[list[ChatMessage]] = field(default_factory=list)
    burst: list[list[ChatMessage]] = field(default_factory=list)
    follow_ups: list[tuple[str, str, list[FaqDocument]]] = field(default_factory=list)
    entry_of: list[str] = field(default_factory=list)  # entry id drawn for each burst customer
    entries: list[int] = field(default_factory=list)  # FAQ entries each retrieval passed

    def add_follow_ups(self, answers: Sequence[str], layout: Layout = DEFAULT_LAYOUT) -> None:
        for (first, question, documents), answer in zip(self.follow_ups, answers, strict=True):
            history = [ChatMessage("user", first), ChatMessage("assistant", answer.strip())]
            self.burst.append(layout_messages(self.system, question, documents, history, layout))


def zipf_workload(
    settings: Settings,
    count: int,
    *,
    follow_up_share: float = 0.25,
    exponent: float = 1.1,
    seed: int = 13,
    layout: Layout = DEFAULT_LAYOUT,
    context: Context = "product",
) -> ZipfWorkload:
    """``count`` customers: Zipf-popular questions on the demo FAQ, retrieved and laid out as the
    bot does; ``follow_up_share`` of them are second turns of conversations opened earlier.
    Retrieval runs in a child process (``engine_context``)."""
    shape = (follow_up_share, exponent, seed, layout, context)
    return in_child(_zipf_workload, settings, count, shape)


def _zipf_workload(
    settings: Settings, count: int, shape: tuple[float, float, int, Layout, Context]
) -> ZipfWorkload:
    follow_up_share, exponent, seed, layout, context_kind = shape
    records = read_faq_file(settings.prompts_dir / "faq.yaml")
    documents = [r.to_document() for r in records if r.language == "en"]
    system = system_prompt(settings, "Acme Shop")
    rng = random.Random(seed)
    order = rng.sample(documents, len(documents))  # popularity rank of each entry
    weights = [1 / (rank + 1) ** exponent for rank in range(len(order))]

    async def build() -> ZipfWorkload:
        async with bench_app(settings, None) as app:
            context = ProductContext(app, fixed=context_kind == "fixed")
            workload = ZipfWorkload(system=system)
            follow_ups = round(count * follow_up_share)
            for number in range(count):
                entry = rng.choices(order, weights)[0]
                question = rng.choice([entry.question, *entry.variants])
                first = await context.documents(question)
                if number < follow_ups:
                    workload.first_turns.append(
                        layout_messages(system, question, first, [], layout)
                    )
                    again = FOLLOW_UPS[number % len(FOLLOW_UPS)]
                    joint = await context.documents(f"{question} {again}")
                    workload.follow_ups.append((question, again, joint))
                else:
                    workload.burst.append(layout_messages(system, question, first, [], layout))
                workload.entry_of.append(str(entry.id))
            workload.entries = context.entries
            return workload

    return asyncio.run(build())
