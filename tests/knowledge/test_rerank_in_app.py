"""The mpnet reranker as the application wires it: ``open_app`` with the default encoders.

The reranker's other tests build ``FaqIndex`` by hand; here the encoders come from Settings,
wrapped in their on-disk vector caches, exactly as ``supportbot eval``, ``chat`` and ``run``
get them (issue 18: behind ``DiskCachedEncoder`` it never ran, and nothing noticed), and
mpnet is loaded only when an unsure English question needs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import open_app
from bot.config import Settings
from bot.knowledge.encoders.lazy import LazyEncoder
from bot.knowledge.encoders.mpnet import bundled_mpnet_path
from bot.knowledge.encoders.routing import encoder_parts, of_family
from bot.knowledge.encoders.transformer import cpu_supports_bfloat16
from bot.knowledge.entries import embedded_texts
from bot.knowledge.faq.faqfile import read_faq_file
from bot.knowledge.faq.faqfile_writer import write_faq_file
from bot.knowledge.ranking.rerank import RERANK_WEIGHTS, SKIP_AT
from bot.knowledge.ranking.thresholds import CONFIDENT_THRESHOLD
from tests.knowledge.conftest import DEMO_FAQ, PROJECT_ROOT

SURE = "How long does shipping take?"  # an entry's own wording
UNSURE = "I want to send back a lamp that arrived broken, what do I do?"


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    """The test's settings with the default encoders, mpnet unpacked once for all tests."""
    assert settings.embedding_model == "minilm+e5+mpnet"
    settings.model_cache_dir.mkdir(parents=True, exist_ok=True)
    for bfloat16 in {False, cpu_supports_bfloat16()}:  # the folders the app will look for
        shared = bundled_mpnet_path(PROJECT_ROOT / "data" / "models", bfloat16=bfloat16)
        (settings.model_cache_dir / shared.name).symlink_to(shared, target_is_directory=True)
    return settings


def english_faq(folder: Path) -> Path:
    """The demo FAQ's English entries (half the texts to encode with three models)."""
    records = [record for record in read_faq_file(DEMO_FAQ) if record.language == "en"]
    path = folder / "faq.yaml"
    write_faq_file(path, records)
    return path


@pytest.mark.slow
async def test_open_app_reranks_an_unsure_english_question_and_not_a_sure_one(
    app_settings: Settings, tmp_path: Path
) -> None:
    async with open_app(app_settings, load_model=False, import_demo=False) as first:
        # the first start encodes every entry (mpnet too) into the on-disk vector caches
        await first.catalog.import_file(english_faq(tmp_path), author="test")
    async with open_app(app_settings, load_model=False, import_demo=False) as app:
        mpnet = next(
            part.inner  # type: ignore[attr-defined]
            for part in encoder_parts(app.catalog.index.encoder)
            if of_family(part, "mpnet")
        )
        assert isinstance(mpnet, LazyEncoder) and not mpnet.loaded  # vectors from the cache
        sure = app.catalog.search(SURE, k=5)
        assert sure[0].confidence >= SKIP_AT and not sure[0].reranked
        assert not mpnet.loaded  # a sure question never needs it
        unsure = app.catalog.search(UNSURE, k=5)
        assert unsure[0].reranked, [(h.document.id, round(h.confidence, 2)) for h in unsure]
        assert unsure[0].document.question.startswith("My item arrived damaged")
        assert mpnet.loaded


@pytest.mark.slow
async def test_mpnet_sure_of_a_hit_waives_minilms_dense_floor(
    app_settings: Settings, tmp_path: Path
) -> None:
    """ "do you accept amex?": MiniLM's cosine of the payment entry is under its floor (which
    made the confidence 0), mpnet's is above ``waive_at``, so the re-ranked hit is confident."""
    question = "do you accept amex?"
    async with open_app(app_settings, load_model=False, import_demo=False) as app:
        await app.catalog.import_file(english_faq(tmp_path), author="test")
        [hit] = app.catalog.search(question, k=1)
        assert hit.reranked and hit.document.question == "Which payment methods do you accept?"
        parts = encoder_parts(app.catalog.index.encoder)
        english = app.catalog.index.space_for("en")
        assert english is not None
        minilm, mpnet = parts[english], next(p for p in parts if of_family(p, "mpnet"))
        texts = embedded_texts(hit.document)
        for part, below in ((minilm, True), (mpnet, False)):
            query, *rows = part.encode([question, *texts])
            best = max(float(row @ query) for row in rows)
            limit = RERANK_WEIGHTS.dense_floor if below else RERANK_WEIGHTS.waive_at
            assert (best < limit) is below, (part, best)
        assert hit.confidence >= CONFIDENT_THRESHOLD
