"""The on-disk embedding cache: a restart re-encodes nothing it has seen."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.knowledge.encoders.vector_cache import DiskCachedEncoder
from bot.knowledge.entries import FaqDocument
from bot.knowledge.ranking.index import FaqIndex
from tests.knowledge.fakes import HashingEncoder

DOCUMENTS = [
    FaqDocument(id=1, question="How long does shipping take?", answer="3-5 business days."),
    FaqDocument(id=2, question="What is your return policy?", answer="30 days."),
]


def test_second_start_encodes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "embeddings.npz"
    first = HashingEncoder()
    FaqIndex(DiskCachedEncoder(first, path, "fake")).rebuild(DOCUMENTS)
    assert len(first.encoded) == 4 and path.is_file()

    second = HashingEncoder()
    cached = DiskCachedEncoder(second, path, "fake")
    index = FaqIndex(cached)
    index.rebuild(DOCUMENTS)
    assert second.encoded == []
    assert index.search("shipping", k=1)[0].document.id == 1
    np.testing.assert_allclose(
        cached.encode(["a b", "c d"]), HashingEncoder().encode(["a b", "c d"]), atol=1e-6
    )


def test_queries_are_not_stored(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.npz"
    encoder = DiskCachedEncoder(HashingEncoder(), path, "fake")
    encoder.encode(["a single customer question"])
    assert len(encoder) == 0 and not path.exists()


def test_rebuild_prunes_texts_no_entry_has(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.npz"
    index = FaqIndex(DiskCachedEncoder(HashingEncoder(), path, "fake"))
    index.rebuild(DOCUMENTS)
    index.rebuild(DOCUMENTS[:1])
    assert len(DiskCachedEncoder(HashingEncoder(), path, "fake")) == 2


def test_other_model_or_broken_file_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.npz"
    FaqIndex(DiskCachedEncoder(HashingEncoder(), path, "fake")).rebuild(DOCUMENTS)
    other = HashingEncoder()
    FaqIndex(DiskCachedEncoder(other, path, "another-model")).rebuild(DOCUMENTS)
    assert len(other.encoded) == 4  # vectors of one model are never used for another
    path.write_bytes(b"not an npz file")
    assert len(DiskCachedEncoder(HashingEncoder(), path, "fake")) == 0


def test_an_empty_rebuild_keeps_the_cache_for_the_import_that_follows(tmp_path: Path) -> None:
    path = tmp_path / "embeddings.npz"
    FaqIndex(DiskCachedEncoder(HashingEncoder(), path, "fake")).rebuild(DOCUMENTS)
    restarted = HashingEncoder()
    index = FaqIndex(DiskCachedEncoder(restarted, path, "fake"))
    index.rebuild([])  # a first start's empty database, before the import
    index.rebuild(DOCUMENTS)
    assert restarted.encoded == []
