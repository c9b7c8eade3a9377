"""The mpnet reranker as the application wires it: ``open_app`` with the default encoders.

The reranker's other tests build ``FaqIndex`` by hand; here the encoders come from Settings,
wrapped in their on-disk vector caches, exactly as ``supportbot eval``, ``chat`` and ``run``
get them (issue 18: behind ``DiskCachedEncoder`` it never ran, and nothing noticed), and
mpnet is loaded only when an unsure English question needs it.
"""

from __future__ import annotations

import pytest

from bot.app import open_app
from bot.config import Settings
from bot.knowledge.encoders import encoder_parts, of_family
from bot.knowledge.lazy_encoder import LazyEncoder
from bot.knowledge.mpnet import MODEL_FOLDER, bundled_mpnet_path
from bot.knowledge.rerank import SKIP_AT
from tests.knowledge.conftest import PROJECT_ROOT

SURE = "How long does shipping take?"  # an entry's own wording
UNSURE = "I want to send back a lamp that arrived broken, what do I do?"


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    """The test's settings with the default encoders, mpnet unpacked once for all tests."""
    assert settings.embedding_model == "minilm+e5+mpnet"
    shared = bundled_mpnet_path(PROJECT_ROOT / "data" / "models")
    settings.model_cache_dir.mkdir(parents=True, exist_ok=True)
    (settings.model_cache_dir / MODEL_FOLDER).symlink_to(shared, target_is_directory=True)
    return settings


@pytest.mark.slow
async def test_open_app_reranks_an_unsure_english_question_and_not_a_sure_one(
    app_settings: Settings,
) -> None:
    async with open_app(app_settings, load_model=False):
        pass  # the first start encodes every entry (mpnet too) into the on-disk vector caches
    async with open_app(app_settings, load_model=False) as app:
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
