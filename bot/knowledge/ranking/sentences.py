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

from bot.knowledge.entries import FaqDocument
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.text.language import detect_language
from bot.knowledge.text.tokens import tokenize

# A sentence ends at . ! ? (followed by a space and a capital, digit or quote) or at 。！？.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])|(?<=[。！？!?])(?=\S)")
_OPENER = re.compile(r"^(yes|no)\b|^(可以|不可以|不能|能|不需要|需要|提供|有的|不)[，,。]", re.I)
MIN_SENTENCES_TO_FOCUS = 3  # shorter entries are sent whole
DENSE_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.6
KIND_BONUS = 0.35
LEAD_RELATIVE = 0.8  # a second sentence joins the lead when it scores this share of the first
FOCUS_MIN = 0.35  # a best sentence scoring less does not stand out: the entry is sent whole
FOCUS_MARGIN = 0.2  # ... nor does one that beats every sentence outside the lead by less
BASELINE_SAMPLE = 48
MIN_BASELINE_SAMPLE = 8

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
    "steps": (
        re.compile(
            r"\bhow (do|can|should) (i|we)\b|\bhow to\b|\bsteps?\b|\bprocedure\b"
            r"|怎么操作|如何操作|怎么弄|怎么办理|如何办理|流程|步骤|怎么做|操作",
            re.IGNORECASE,
        ),
        re.compile(
            r"\b(go to|press|click|choose|enter|print|select)\b|请进入|点击|请在|打印|输入|选择",
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


def _primary(code: str) -> str:
    """ "zh-Hans" -> "zh" (the language codes ``detect_language`` reports)."""
    return code.strip().lower().replace("_", "-").split("-")[0]


def _join(sentences: Sequence[str], language: str) -> str:
    separator = "" if language.lower().startswith(("zh", "ja")) else " "
    return separator.join(sentences)


class SentenceScorer:
    """Scores the sentences of FAQ entries against a question with the index's own models.

    Sentence vectors come from ``FaqIndex.query_vector`` (so each is embedded by the encoder
    that serves its language, in the same space as a question in that language) and are kept.
    Encoders differ in how close unrelated texts are (MiniLM about 0.1, e5 about 0.8), so a
    cosine counts by how far it rises above the question's mean cosine with a fixed sample of
    the FAQ's sentences in that language.
    """

    def __init__(self, index: FaqIndex) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray | None] = {}
        self._samples: dict[str, np.ndarray | None] = {}
        self._document_frequency: Counter[str] = Counter()
        self._documents_counted = -1

    def score(self, question: str, documents: Sequence[FaqDocument]) -> list[ScoredSentence]:
        """Every sentence of ``documents`` scored against ``question`` (entry order)."""
        kinds = asked_kinds(question)
        terms = set(tokenize(question))
        weights = self._idf(terms)
        total = sum(weights.values())
        language = detect_language(question)
        query_vector = self.index.query_vector(question) if self._dense(question) else None
        baseline = self._baseline(query_vector, language)
        scored: list[ScoredSentence] = []
        for document in documents:
            for position, sentence in enumerate(split_sentences(document.answer)):
                present = set(tokenize(sentence)) & terms
                lexical = sum(weights[t] for t in present) / total if total else 0.0
                value = LEXICAL_WEIGHT * lexical
                vector = self._vector(sentence, language) if query_vector is not None else None
                if vector is not None and query_vector is not None:
                    cosine = float(vector @ query_vector)
                    value += DENSE_WEIGHT * max(0.0, cosine - baseline) / (1.0 - baseline)
                if kinds & given_kinds(sentence):
                    value += KIND_BONUS
                scored.append(ScoredSentence(document, position, sentence, value))
        return scored

    def focus(self, question: str, document: FaqDocument) -> Focus:
        """Lead with the one or two sentences that answer ``question``; short entries whole,
        and whole too when no sentence stands out (a general question about the entry)."""
        scored = self.score(question, [document])
        sentences = tuple(s.text for s in scored)
        everything = tuple(range(len(sentences)))
        if not scored:
            return Focus(document, sentences, everything, 0.0)
        ranked = sorted(scored, key=lambda s: -s.score)
        best = ranked[0]
        if len(sentences) < MIN_SENTENCES_TO_FOCUS or best.score < FOCUS_MIN:
            return Focus(document, sentences, everything, best.score)
        lead = {best.position}
        if ranked[1].score >= LEAD_RELATIVE * best.score:
            lead.add(ranked[1].position)
        outside = [s.score for s in scored if s.position not in lead]
        if not outside or best.score - max(outside) < FOCUS_MARGIN:
            return Focus(document, sentences, everything, best.score)
        if _OPENER.match(sentences[0]):  # "Yes, until the order ships." is the answer itself
            lead.add(0)
        if len(lead) >= len(sentences):
            return Focus(document, sentences, everything, best.score)
        return Focus(document, sentences, tuple(sorted(lead)), best.score)

    def _dense(self, question: str) -> bool:
        return self.index.encoder is not None and self.index.uses_dense_for(question)

    def _vector(self, text: str, language: str) -> np.ndarray | None:
        """The text's vector when it is written in ``language`` (same space), else None."""
        if detect_language(text) != language:
            return None
        with self._lock:
            if text in self._vectors:
                return self._vectors[text]
        vector = self.index.query_vector(text)
        with self._lock:
            self._vectors[text] = vector
        return vector

    def _baseline(self, query: np.ndarray | None, language: str) -> float:
        """The question's mean cosine with sample sentences of the FAQ in its language."""
        if query is None:
            return 0.0
        with self._lock:
            known = language in self._samples
            sample = self._samples.get(language)
        if not known:
            own = [d for d in self.index.documents() if _primary(d.language) == language]
            texts = [
                sentence
                for document in own[:: max(1, len(own) // 24)]
                for sentence in split_sentences(document.answer)[:2]
            ]
            rows = [v for t in texts if (v := self._vector(t, language)) is not None]
            rows = [v for v in rows if v.shape == query.shape][:BASELINE_SAMPLE]
            sample = np.vstack(rows) if len(rows) >= MIN_BASELINE_SAMPLE else None
            with self._lock:
                self._samples[language] = sample
        if sample is None or sample.shape[1] != query.shape[0]:
            return 0.0
        return float(min(0.95, max(0.0, float(np.mean(sample @ query)))))

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
