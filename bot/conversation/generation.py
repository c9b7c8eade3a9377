"""Asking the model for an answer that is only shown once it is grounded in the FAQ context.

``generate_grounded`` builds the prompt (``bot.prompting.builder``), streams the model's text
through a ``SentenceGate`` (``bot.conversation.grounding``) so that the customer only ever sees
checked sentences, and cancels the request at the first unsupported one, which frees the
engine's batch slot for the next customer instead of finishing a refusal nobody will read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.conversation.grounding import GroundingChecker, SentenceGate
from bot.engine.base import ChatMessage, Generation, GenerationEngine, GenerationRequest
from bot.knowledge.entries import FaqDocument, FaqId
from bot.knowledge.ranking.sentences import SentenceScorer
from bot.prompting.builder import STOP_SEQUENCES, AnswerFocus, build_prompt, render_system_prompt

REPETITION_PENALTY = 1.1


@dataclass(slots=True)
class GroundedAnswer:
    """What reached the customer from the model, and why the rest did not (``failure``)."""

    text: str
    faq_ids: list[FaqId]
    model: str
    prompt_tokens: int
    completion_tokens: int = 0
    failure: str | None = None


def lead_sentences(scorer: SentenceScorer | None) -> AnswerFocus | None:
    """What the prompt shows of each entry: the sentences that answer the question (the
    scorer's focused lead; the whole answer when none stands out). None without a scorer."""
    if scorer is None:
        return None
    return lambda question, document: scorer.focus(question, document).lead_text


async def generate_grounded(
    engine: GenerationEngine,
    *,
    question: str,
    documents: Sequence[FaqDocument],
    history: Sequence[ChatMessage],
    system_template: str,
    business_name: str,
    language: str,
    budget_tokens: int,
    max_new_tokens: int,
    timeout_seconds: float,
    on_text: Callable[[str], None],
    focus: AnswerFocus | None = None,
) -> GroundedAnswer:
    """Ask the model, streaming to ``on_text`` only sentences that pass the grounding check.

    The first unsupported sentence cancels the request (freeing its batch slot). Engine errors
    (``EngineBusy`` included) propagate; a deadline or a rejection comes back as ``failure``
    with whatever grounded text was already shown.
    """
    system_prompt = render_system_prompt(
        system_template, business_name=business_name, language=language
    )
    built = build_prompt(
        system_prompt=system_prompt,
        question=question,
        documents=documents,
        history=history,
        budget_tokens=budget_tokens,
        count_tokens=engine.count_tokens,
        focus=focus,
    )
    kept = [doc for doc in documents if doc.id in set(built.faq_ids)]
    answer = GroundedAnswer("", list(built.faq_ids), engine.name, built.prompt_tokens)
    if not kept:
        answer.failure = "no FAQ entry fits the prompt budget"
        return answer
    entries = [f"{doc.question}\n{doc.answer}" for doc in kept]  # whole, even when focused
    checker = GroundingChecker(entries, question=question, system_prompt=system_prompt)
    gate = SentenceGate(checker)
    request = GenerationRequest(
        messages=built.messages,
        max_new_tokens=max_new_tokens,
        stop=STOP_SEQUENCES,
        deadline=GenerationRequest.deadline_in(timeout_seconds),
        repetition_penalty=REPETITION_PENALTY,
    )
    generation, answer.failure = await _run_behind_gate(engine, request, gate, on_text)
    if generation is not None:
        answer.model = generation.model or engine.name
        answer.prompt_tokens = generation.prompt_tokens or answer.prompt_tokens
        answer.completion_tokens = generation.completion_tokens
    if gate.rejected is not None:
        answer.failure = f"not grounded: {gate.rejected.reason}"
    elif not gate.released.strip() and answer.failure is None:
        answer.failure = "no supported sentence"
    answer.text = gate.released
    return answer


async def _run_behind_gate(
    engine: GenerationEngine,
    request: GenerationRequest,
    gate: SentenceGate,
    on_text: Callable[[str], None],
) -> tuple[Generation | None, str | None]:
    """Generate with every piece passing through ``gate``; the first rejected sentence cancels
    the request. Returns the generation (None when cancelled or timed out) and a failure."""
    task: asyncio.Task[Generation] | None = None

    def feed(piece: str) -> None:
        on_text(gate.feed(piece))
        if gate.rejected is not None and task is not None and not task.done():
            task.cancel()

    task = asyncio.ensure_future(engine.generate(request, on_text=feed))
    try:
        async with asyncio.timeout_at(_loop_deadline(request)):
            generation = await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if gate.rejected is None or (current is not None and current.cancelling()):
            raise
        return None, None
    except TimeoutError:
        return None, "timed out"
    failure = None
    if generation.finish_reason in ("deadline", "error", "cancelled"):
        failure = generation.error or generation.finish_reason
    on_text(gate.finish(complete=generation.finish_reason == "stop"))
    return generation, failure


def _loop_deadline(request: GenerationRequest) -> float | None:
    """The request's own deadline plus a second of grace, on the event loop's clock: the
    engine finishes a late request itself; this only guards against an engine that hangs."""
    if request.deadline is None:
        return None
    loop = asyncio.get_running_loop()
    return loop.time() + (request.deadline - time.monotonic()) + 1.0
