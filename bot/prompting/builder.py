"""The prompt builder: system template and FAQ entries, recent history, the customer's question.

Pure functions: the caller passes the template text, the documents, the history and a token
counter (the engine's own ``count_tokens``), and gets chat messages that fit the budget.

Layout (``entries_in_system``, the default): the stable parts first and the customer's words
last, so the engine's prefix cache can reuse the keys/values of everything before them: the
system message is the rendered template followed by the numbered FAQ entries (shared by every
customer asking about the same entries, and by every turn of a conversation that stays on
them), then the history, then ``Customer question: ...``. On ``eval --answers 40`` (stackfaq
dev) it grounded at least as well as "question first, then the entries" in the last user turn
(3 generated / 6 fallback vs 1 / 8), which DESIGN.md had found best among the formats tried
then; ``question_first`` and ``entries_first`` remain available for comparison.

When the prompt is over budget the oldest history goes first, then the lowest-ranked FAQ
entries; an entry or a turn is always kept or dropped whole, never cut.

``focus`` (optional, from the caller, e.g. the sentence scorer's focused lead) chooses which of
an entry's own sentences the model is shown for this question: every prompt token is prefill
work for the engine (on a CPU without bfloat16, prefill is what the first token waits for).
Focusing only drops sentences, it never writes text, and the caller's grounding check still
reads the whole entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment

from bot.engine.base import ChatMessage
from bot.knowledge.entries import FaqDocument, FaqId

SYSTEM_TEMPLATE_NAME = "system"  # name of the admin-edited override in the prompt_templates table
DEFAULT_TONE = "friendly, polite and concise"
ENTRY_MARKER = "["  # each FAQ entry starts with "[n]"; generation stops at the next one
STOP_SEQUENCES = ("\n[", "\nCustomer question:", "\nQ:", "<|im_end|>")
LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Chinese (简体中文)",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
}

TokenCounter = Callable[[Sequence[ChatMessage]], int]
AnswerFocus = Callable[[str, FaqDocument], str]  # (question, entry) -> the answer text shown
Layout = Literal["question_first", "entries_first", "entries_in_system"]
DEFAULT_LAYOUT: Layout = "entries_in_system"

# Admins edit the system template from Telegram: render it sandboxed so it cannot reach Python.
_environment = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


@lru_cache(maxsize=32)
def _compiled(source: str) -> Template:
    return _environment.from_string(source)


def language_name(code: str) -> str:
    """How the system prompt names a language code ("zh" -> "Chinese (简体中文)")."""
    return LANGUAGE_NAMES.get(code, code)


def render_system_prompt(
    template_source: str, *, business_name: str, language: str, tone: str = DEFAULT_TONE
) -> str:
    """The system prompt from a Jinja2 template (the file default or an admin's version)."""
    return (
        _compiled(template_source)
        .render(
            business_name=business_name,
            language=language,
            language_name=language_name(language),
            tone=tone,
        )
        .strip()
    )


def format_entry(number: int, document: FaqDocument) -> str:
    """One FAQ entry as the model sees it."""
    return f"[{number}] Q: {document.question.strip()}\nA: {document.answer.strip()}"


def entries_text(documents: Sequence[FaqDocument]) -> str:
    """The numbered FAQ entries, best first."""
    if not documents:
        return "FAQ entries: (none match this question)"
    entries = "\n\n".join(format_entry(i, doc) for i, doc in enumerate(documents, start=1))
    return f"FAQ entries:\n{entries}"


def question_turn(
    question: str, documents: Sequence[FaqDocument], layout: Layout = DEFAULT_LAYOUT
) -> str:
    """The last user turn of ``layout`` (see ``build_prompt``)."""
    asked = f"Customer question: {question.strip()}"
    if layout == "question_first":
        return f"{asked}\n\n{entries_text(documents)}"
    if layout == "entries_first":
        return f"{entries_text(documents)}\n\n{asked}"
    return asked


def layout_messages(
    system_prompt: str,
    question: str,
    documents: Sequence[FaqDocument],
    history: Sequence[ChatMessage],
    layout: Layout = DEFAULT_LAYOUT,
) -> list[ChatMessage]:
    """System prompt, history and the question turn in ``layout``."""
    system = system_prompt
    if layout == "entries_in_system":
        system = f"{system_prompt}\n\n{entries_text(documents)}"
    return [
        ChatMessage("system", system),
        *history,
        ChatMessage("user", question_turn(question, documents, layout)),
    ]


def focused_documents(
    question: str, documents: Sequence[FaqDocument], focus: AnswerFocus | None
) -> list[FaqDocument]:
    """``documents`` with each answer cut to what ``focus`` shows (whole when it shows nothing)."""
    if focus is None:
        return list(documents)
    return [replace(doc, answer=focus(question, doc).strip() or doc.answer) for doc in documents]


@dataclass(frozen=True, slots=True)
class BuiltPrompt:
    """Chat messages ready for the engine, and what had to be left out to fit."""

    messages: list[ChatMessage]
    faq_ids: list[FaqId]
    prompt_tokens: int
    history_kept: int
    history_dropped: int
    faq_dropped: int
    over_budget: bool  # even the system prompt and question alone exceed the budget


def build_prompt(
    *,
    system_prompt: str,
    question: str,
    documents: Sequence[FaqDocument],
    history: Sequence[ChatMessage],
    budget_tokens: int,
    count_tokens: TokenCounter,
    layout: Layout = DEFAULT_LAYOUT,
    focus: AnswerFocus | None = None,
) -> BuiltPrompt:
    """Chat messages within ``budget_tokens``: history trimmed oldest first, then FAQ from the end.

    ``documents`` are ranked best first; ``history`` is oldest first and excludes the question.
    If the system prompt and question alone exceed the budget they are returned anyway, with no
    history and no FAQ entries: callers treat that as nothing to ground on. ``focus`` cuts each
    entry's answer to the sentences it returns (see the module docstring).
    """
    kept_history = [turn for turn in history if turn.content.strip()]
    kept_documents = focused_documents(question, documents, focus)
    dropped_history = len(history) - len(kept_history)
    dropped_faq = 0

    def assemble() -> list[ChatMessage]:
        return layout_messages(system_prompt, question, kept_documents, kept_history, layout)

    messages = assemble()
    tokens = count_tokens(messages)
    while tokens > budget_tokens and (kept_history or kept_documents):
        if kept_history:
            kept_history.pop(0)
            dropped_history += 1
        else:
            kept_documents.pop()
            dropped_faq += 1
        messages = assemble()
        tokens = count_tokens(messages)
    return BuiltPrompt(
        messages=messages,
        faq_ids=[doc.id for doc in kept_documents],
        prompt_tokens=tokens,
        history_kept=len(kept_history),
        history_dropped=dropped_history,
        faq_dropped=dropped_faq,
        over_budget=tokens > budget_tokens,
    )
