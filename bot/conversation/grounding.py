"""Is a generated reply supported by the FAQ context? A cheap lexical check, sentence by sentence.

The bundled model contradicts its context in measurable ways ("opens at 9:30" -> "18:00",
"return within 30 days" -> "No, that's not possible"), so a reply is only sent when every
sentence of it:
- is not empty and does not echo the system prompt or the prompt's own markers;
- is not talk about the conversation ("as an AI ...", "the user has asked ...");
- uses only numbers (times, days, prices) that occur in the FAQ context;
- does not negate ("no", "not", 不, 无法 ...) unless the context negates too;
- has most of its content words (stemmed, stop words out) in the context or the question.

``SentenceGate`` applies the same check while the reply streams: a sentence reaches the customer
only once it has passed, and the first failing sentence stops the stream. So what was shown is
always what was checked. ``bot.conversation.generation`` runs the model behind that gate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.knowledge.text.tokens import tokenize

MIN_SUPPORT = 0.7
FILLER_MAX_TERMS = 2  # "Sure!", "Good question.": neither supported nor contradicting
LEAK_SHINGLE_WORDS = 5
PROMPT_MARKERS = ("customer question:", "faq entries", "[1]", "[2]", "[3]", "<|im_", "system:")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_NEGATION_EN = re.compile(
    r"\b(no|not|never|cannot|can't|cant|don't|dont|doesn't|won't|isn't|aren't|unable|"
    r"impossible|nothing|none)\b",
    re.IGNORECASE,
)
_NEGATION_ZH = re.compile(r"不|没|无法|未|别|非")
# Talk about the conversation instead of an answer: never useful, often a refusal.
_META_TALK = re.compile(
    r"\b(as an ai|language model|ai (chatbot|assistant)"
    r"|the (user|customer) (has )?(asked|asks|is asking)"
    r"|sorry for (any|the) (confusion|misunderstanding)|faq (page|section))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n。！？；，：]\s|[。！？；，：\n]|\s(?:and|but|or|while)\s")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？；])|\n+")


@dataclass(frozen=True, slots=True)
class GroundingResult:
    """The verdict on one text: grounded or not, why, and the share of supported words."""

    grounded: bool
    reason: str
    support: float = 0.0

    @property
    def has_no_content(self) -> bool:
        return self.reason == "no content words"


def _numbers(text: str) -> set[str]:
    return {match.group().rstrip(".,:").replace(",", "") for match in _NUMBER.finditer(text)}


def _negates(text: str) -> bool:
    return bool(_NEGATION_EN.search(text.replace("’", "'")) or _NEGATION_ZH.search(text))


def _shingles(text: str, size: int) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


class GroundingChecker:
    """Checks texts against one prompt's FAQ context, question and system prompt."""

    def __init__(
        self,
        context: Sequence[str],
        *,
        question: str = "",
        system_prompt: str = "",
        min_support: float = MIN_SUPPORT,
    ) -> None:
        context_text = "\n".join(context)
        self._context_lower = context_text.casefold()
        self._context_numbers = _numbers(context_text)
        self._context_negates = _negates(context_text)
        self._support_terms = set(tokenize(context_text)) | set(tokenize(question))
        # For each number in the context, the words of the sentences it occurs in, so that
        # "closes at 18:00" cannot be turned into "opens at 18:00" without being noticed.
        self._number_neighbours: dict[str, set[str]] = {}
        for clause in _CLAUSE_BREAK.split(context_text):
            words = set(tokenize(clause))
            for number in _numbers(clause):
                self._number_neighbours.setdefault(number, set()).update(words)
        self._leaky = _shingles(system_prompt, LEAK_SHINGLE_WORDS) - _shingles(
            context_text, LEAK_SHINGLE_WORDS
        )
        self._min_support = min_support

    def early_verdict(self, partial: str) -> GroundingResult | None:
        """A failure that more words cannot repair, on a sentence still being generated.

        Lets the stream stop after a few tokens of "I'm sorry for any confusion, but as an AI"
        or "No, ..." instead of at the end of the sentence.
        """
        lowered = partial.casefold()
        if any(m in lowered and m not in self._context_lower for m in PROMPT_MARKERS):
            return GroundingResult(False, "prompt marker")
        if _META_TALK.search(partial) and not _META_TALK.search(self._context_lower):
            return GroundingResult(False, "talks about the conversation, not the answer")
        if _negates(partial) and not self._context_negates:
            return GroundingResult(False, "negation not in context")
        settled = partial.rsplit(None, 1)[0] if " " in partial.strip() else ""
        unsupported = _numbers(settled) - self._context_numbers
        if unsupported:
            return GroundingResult(False, f"number not in context: {sorted(unsupported)[0]}")
        return None

    def check(self, text: str) -> GroundingResult:
        """The verdict on ``text`` (a sentence or a whole reply)."""
        if not _WORD.search(text):
            return GroundingResult(False, "empty")
        lowered = text.casefold()
        for marker in PROMPT_MARKERS:
            if marker in lowered and marker not in self._context_lower:
                return GroundingResult(False, f"prompt marker {marker!r}")
        if self._leaky & _shingles(text, LEAK_SHINGLE_WORDS):
            return GroundingResult(False, "repeats the system prompt")
        if _META_TALK.search(text) and not _META_TALK.search(self._context_lower):
            return GroundingResult(False, "talks about the conversation, not the answer")
        unsupported_numbers = _numbers(text) - self._context_numbers
        if unsupported_numbers:
            first = sorted(unsupported_numbers)[0]
            return GroundingResult(False, f"number not in context: {first}")
        if _negates(text) and not self._context_negates:
            return GroundingResult(False, "negation not in context")
        numbers = _numbers(text)
        terms = [term for term in tokenize(text) if not _NUMBER.fullmatch(term)]
        for number in numbers:
            if not set(terms) & self._number_neighbours.get(number, set()):
                return GroundingResult(False, f"number {number} used out of its context")
        is_filler = len(terms) <= FILLER_MAX_TERMS and not set(terms) & self._support_terms
        if not numbers and is_filler:
            return GroundingResult(False, "no content words")
        if not terms:
            return GroundingResult(True, "numbers from context", 1.0)
        support = sum(term in self._support_terms for term in terms) / len(terms)
        if support < self._min_support:
            return GroundingResult(False, f"low support {support:.2f}", support)
        return GroundingResult(True, "supported", support)


def check_reply(
    reply: str,
    *,
    context: Sequence[str],
    question: str = "",
    system_prompt: str = "",
    min_support: float = MIN_SUPPORT,
) -> GroundingResult:
    """Whole-reply verdict: every sentence must pass (content-free ones are neutral)."""
    checker = GroundingChecker(
        context, question=question, system_prompt=system_prompt, min_support=min_support
    )
    gate = SentenceGate(checker)
    gate.feed(reply)
    gate.finish(complete=True)
    if gate.rejected is not None:
        return gate.rejected
    if not gate.released.strip():
        return GroundingResult(False, "no supported sentence")
    return GroundingResult(True, "supported", gate.min_support)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` with their trailing whitespace kept (they join back exactly)."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if end > start:
            parts.append(text[start:end])
            start = end
    if start < len(text):
        parts.append(text[start:])
    return parts


class SentenceGate:
    """Lets streamed text through one checked sentence at a time.

    ``feed`` returns the text that may be shown now; ``finish`` returns the rest once generation
    ends. After the first failing sentence ``rejected`` is set and nothing more is released.
    Sentences without content words ("Sure!") wait and go out with the next supported one.
    """

    def __init__(self, checker: GroundingChecker) -> None:
        self._checker = checker
        self._buffer = ""
        self._pending = ""
        self.released = ""
        self.rejected: GroundingResult | None = None
        self.min_support = 1.0

    def _judge(self, sentence: str) -> str:
        result = self._checker.check(sentence)
        if result.grounded:
            out = self._pending + sentence
            self._pending = ""
            self.released += out
            self.min_support = min(self.min_support, result.support)
            return out
        if result.has_no_content or result.reason == "empty":
            self._pending += sentence
            return ""
        self.rejected = result
        return ""

    def feed(self, piece: str) -> str:
        """Add generated text; returns what has now been checked and may be shown."""
        if self.rejected is not None:
            return ""
        self._buffer += piece
        ends = [match.end() for match in _SENTENCE_END.finditer(self._buffer)]
        complete = split_sentences(self._buffer[: ends[-1]]) if ends else []
        if ends:
            self._buffer = self._buffer[ends[-1] :]
        out = ""
        for sentence in complete:
            out += self._judge(sentence)
            if self.rejected is not None:
                return out
        if self._buffer.strip():
            self.rejected = self._checker.early_verdict(self._buffer)
        return out

    def finish(self, *, complete: bool) -> str:
        """Judge the unfinished last sentence (dropped when generation was cut off)."""
        if self.rejected is not None or not self._buffer:
            return ""
        tail, self._buffer = self._buffer, ""
        if not complete:
            return ""
        return self._judge(tail)
