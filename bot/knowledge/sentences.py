"""Sentence-level scoring: which sentences of an FAQ entry answer *this* question.

An entry often answers several things ("Standard shipping is free over $50 … Express shipping
costs $12.99"); a customer asking one of them should read that sentence first. Sentences are
scored with the same retrieval models as whole entries: the index's encoder (cosine of the
question and the sentence, when the encoder understands the language) and its tokenizer (the
share of the question's terms, weighted by rarity across the FAQ, that the sentence contains).

A third signal is the *kind* of answer a question asks for: "how much", "is there a fee",
"要钱吗" want a price or "free"; "how long", "多久" want a duration. It is what lets "Is there a
fee for sending stuff back?" find "Returns within the country are free" although the two share
only one word, and it works the same in Chinese, where the bundled encoder sees nothing.

Focusing never writes text: a focused answer is a subsequence of the entry's own sentences, in
their order, split only at sentence ends, so numbers and names are untouched.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.knowledge.documents import FaqDocument
from bot.knowledge.index import FaqIndex
from bot.knowledge.tokens import tokenize

# A sentence ends at . ! ? (followed by a space and a capital, digit or quote) or at 。！？.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])|(?<=[。！？!?])(?=\S)")
_OPENER = re.compile(r"^(yes|no)\b|^(可以|不可以|不能|能|不需要|需要|提供|有的|不)[，,。]", re.I)
MIN_SENTENCES_TO_FOCUS = 3  # shorter entries are sent whole
DENSE_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.6
KIND_BONUS = 0.35
LEAD_RELATIVE = 0.8  # a second sentence joins the lead when it scores this share of the first

# What a question asks for, and how a sentence that gives it looks (English and Chinese).
_KINDS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "cost": (
        re.compile(
            r"\b(how much|cost|costs|fee|fees|charge|charged|pay|paid|price|free|expensive)\b"
            r"|多少钱|要钱|收费|费用|运费|免费|付费|花钱|贵|谁出|谁付|另外收",
            re.IGNORECASE,
        ),
        re.compile(r"\$\s?\d|\bfree\b|\bcosts?\b|美元|免费|收取|承担|运费", re.IGNORECASE),
    ),
    "duration": (
        re.compile(
            r"\b(how long|how many days|how fast|how soon|when will|until|days?|weeks?)\b"
            r"|多久|多长时间|几天|几个工作日|多少天|什么时候|多快|有效期",
            re.IGNORECASE,
        ),
        re.compile(
            r"\b\d+(-\d+)?\s*(business\s+)?(days?|hours?|weeks?|years?|minutes?)\b"
            r"|\d+(\s*-\s*\d+)?\s*(个)?(工作日|天|小时|周|年|分钟)",
            re.IGNORECASE,
        ),
    ),
}


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, each stripped; joining them back loses only whitespace."""
    parts = [part.strip() for part in _SENTENCE_END.split(" ".join(text.split()))]
    return [part for part in parts if part]


def asked_kinds(question: str) -> set[str]:
    """The kinds of answer a question asks for ("cost", "duration"), possibly none."""
    return {kind for kind, (asks, _) in _KINDS.items() if asks.search(question)}


def given_kinds(sentence: str) -> set[str]:
    """The kinds of answer a sentence gives."""
    return {kind for kind, (_, gives) in _KINDS.items() if gives.search(sentence)}


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """One sentence of one entry with how well it answers the question."""

    document: FaqDocument
    position: int  # index among the entry's sentences
    text: str
    score: float


@dataclass(frozen=True, slots=True)
class Focus:
    """An entry split into the sentences to lead with and the rest, both in entry order."""

    document: FaqDocument
    sentences: tuple[str, ...]
    lead: tuple[int, ...]  # positions of the leading sentences (all of them: sent whole)
    score: float  # the best sentence's score

    @property
    def focused(self) -> bool:
        return len(self.lead) < len(self.sentences)

    @property
    def lead_text(self) -> str:
        return _join([self.sentences[i] for i in self.lead], self.document.language)

    @property
    def rest_text(self) -> str:
        rest = [s for i, s in enumerate(self.sentences) if i not in self.lead]
        return _join(rest, self.document.language)


def _join(sentences: Sequence[str], language: str) -> str:
    separator = "" if language.lower().startswith(("zh", "ja")) else " "
    return separator.join(sentences)


class SentenceScorer:
    """Scores the sentences of FAQ entries against a question with the index's own models."""

    def __init__(self, index: FaqIndex) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] = {}
        self._document_frequency: Counter[str] = Counter()
        self._documents_counted = -1

    def score(self, question: str, documents: Sequence[FaqDocument]) -> list[ScoredSentence]:
        """Every sentence of ``documents`` scored against ``question`` (entry order)."""
        kinds = asked_kinds(question)
        terms = set(tokenize(question))
        weights = self._idf(terms)
        total = sum(weights.values())
        query_vector = self.index.query_vector(question) if self._dense(question) else None
        scored: list[ScoredSentence] = []
        for document in documents:
            sentences = split_sentences(document.answer)
            vectors = self._sentence_vectors(sentences) if query_vector is not None else None
            for position, sentence in enumerate(sentences):
                present = set(tokenize(sentence)) & terms
                lexical = sum(weights[t] for t in present) / total if total else 0.0
                value = LEXICAL_WEIGHT * lexical
                if vectors is not None and query_vector is not None:
                    value += DENSE_WEIGHT * float(vectors[position] @ query_vector)
                if kinds & given_kinds(sentence):
                    value += KIND_BONUS
                scored.append(ScoredSentence(document, position, sentence, value))
        return scored

    def focus(self, question: str, document: FaqDocument) -> Focus:
        """Lead with the one or two sentences that answer ``question``; short entries whole."""
        scored = self.score(question, [document])
        sentences = tuple(s.text for s in scored)
        everything = tuple(range(len(sentences)))
        if not scored:
            return Focus(document, sentences, everything, 0.0)
        best = max(scored, key=lambda s: s.score)
        if len(sentences) < MIN_SENTENCES_TO_FOCUS:
            return Focus(document, sentences, everything, best.score)
        others = sorted((s for s in scored if s is not best), key=lambda s: -s.score)
        lead = {best.position}
        if _OPENER.match(sentences[0]):  # "Yes, until the order ships." is the answer itself
            lead.add(0)
        if len(lead) == 1 and others and others[0].score >= LEAD_RELATIVE * best.score:
            lead.add(others[0].position)
        if len(lead) >= len(sentences):
            return Focus(document, sentences, everything, best.score)
        return Focus(document, sentences, tuple(sorted(lead)), best.score)

    def _dense(self, question: str) -> bool:
        return self.index.encoder is not None and self.index.uses_dense_for(question)

    def _sentence_vectors(self, sentences: list[str]) -> np.ndarray | None:
        encoder = self.index.encoder
        if encoder is None or not sentences:
            return None
        with self._lock:
            missing = [s for s in dict.fromkeys(sentences) if s not in self._vectors]
        if missing:
            fresh = encoder.encode(missing)
            with self._lock:
                self._vectors.update(zip(missing, fresh, strict=True))
        with self._lock:
            return np.vstack([self._vectors[s] for s in sentences])

    def _idf(self, terms: set[str]) -> dict[str, float]:
        """Rarity of each term across the FAQ's entries (recounted when the FAQ grows/shrinks)."""
        documents = self.index.documents()
        with self._lock:
            if len(documents) != self._documents_counted:
                counts: Counter[str] = Counter()
                for document in documents:
                    counts.update(set(tokenize(f"{document.question} {document.answer}")))
                self._document_frequency = counts
                self._documents_counted = len(documents)
            frequency = self._document_frequency
            size = max(self._documents_counted, 1)
        return {
            t: math.log(1.0 + (size - frequency[t] + 0.5) / (frequency[t] + 0.5)) for t in terms
        }
