"""``supportbot eval`` keeps a dataset's vectors apart from the bot's: each index prunes its
vector file to its own entries, so an eval sharing the bot's file used to replace the bot's FAQ
vectors with the dataset's, and the bot's next start encoded its whole FAQ again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bot.app import open_app
from bot.commands.eval_cmd import evaluate_dataset
from bot.config import Settings
from bot.engine.fake import FakeEngine


def vector_files(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("embeddings-*.npz"))


def stored_keys(path: Path) -> set[str]:
    with np.load(path, allow_pickle=False) as data:
        return {str(key) for key in data["keys"]}


async def test_an_eval_leaves_the_bots_faq_vectors_on_disk(
    settings: Settings, tmp_path: Path
) -> None:
    e5 = settings.model_copy(update={"embedding_model": "e5"})
    async with open_app(e5, engine=FakeEngine(), load_model=False) as app:
        assert len(app.catalog.index) >= 20  # the demo FAQ, encoded into the bot's file
    [bot_file] = vector_files(settings.model_cache_dir)
    before = stored_keys(bot_file)
    dataset = tmp_path / "shop" / "dev.json"
    dataset.parent.mkdir()
    faq = [
        {"id": "ship", "question": "How long does shipping take?", "answer": "3-5 days."},
        {"id": "pay", "question": "Which payment methods do you take?", "answer": "Visa."},
    ]
    queries = [{"query": "delivery time", "faq_id": "ship"}]
    dataset.write_text(json.dumps({"faq": faq, "queries": queries}))

    result = await evaluate_dataset(e5, dataset, out_of_scope=None)

    assert result["faq_entries"] == 2
    assert stored_keys(bot_file) == before
    [eval_file] = [p for p in vector_files(settings.model_cache_dir) if p != bot_file]
    assert eval_file.name.endswith(".eval-shop-dev.npz") and 0 < len(stored_keys(eval_file)) < len(
        before
    )
