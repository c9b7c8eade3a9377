"""The prompt builder: system template + recent history + the customer's question and FAQ entries.

Pure functions: the caller passes the template text, the documents, the history and a token
counter (the engine's own ``count_tokens``), and gets chat messages that fit the budget.

Layout, chosen by measurement (see DESIGN.md): the last user turn puts the *question first, then
the FAQ entries*, because the small default model then tends to copy the matching entry rather
than invent. When the prompt is over budget the oldest history goes first, then the
lowest-ranked FAQ entries; an entry or a turn is always kept or dropped whole, never cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment

from bot.engine.base import ChatMessage
from bot.knowledge.documents import FaqDocument, FaqId

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


def question_turn(question: str, documents: Sequence[FaqDocument]) -> str:
    """The last user turn: the question first, then the numbered FAQ entries."""
    text = f"Customer question: {question.strip()}"
    if documents:
        entries = "\n\n".join(format_entry(i, doc) for i, doc in enumerate(documents, start=1))
        text += f"\n\nFAQ entries:\n{entries}"
    else:
        text += "\n\nFAQ entries: (none match this question)"
    return text


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
) -> BuiltPrompt:
    """Chat messages within ``budget_tokens``: history trimmed oldest first, then FAQ from the end.

    ``documents`` are ranked best first; ``history`` is oldest first and excludes the question.
    If the system prompt and question alone exceed the budget they are returned anyway, with no
    history and no FAQ entries: callers treat that as nothing to ground on.
    """
    kept_history = [turn for turn in history if turn.content.strip()]
    kept_documents = list(documents)
    dropped_history = len(history) - len(kept_history)
    dropped_faq = 0

    def assemble() -> list[ChatMessage]:
        return [
            ChatMessage("system", system_prompt),
            *kept_history,
            ChatMessage("user", question_turn(question, kept_documents)),
        ]

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
