"""e5's "query: " rows of the entries' questions, as the application wires them (``open_app``).

In e5's space an entry's question is also encoded as a query, so a customer's question meets it
question to question (issue 18: Chinese dev P@1 0.674 -> 0.738 through ``supportbot eval``).
The pair below is from the Chinese dev data: same topic, another intent. Passage rows alone
rank "…会不会发烧" (will it cause a fever) first for "…怎么治？" (how to treat it); the query
rows rank "…怎么办" (what to do) first.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.app import open_app
from bot.config import Settings
from bot.knowledge.encoders.routing import QUERY_ROW_SCALE, encoder_parts, of_family
from bot.knowledge.encoders.vector_cache import DOCUMENTS, DiskCachedEncoder, text_key
from bot.knowledge.ranking.thresholds import CONFIDENT_THRESHOLD, RELATED_THRESHOLD

QUESTION = "怀孕45天，严重感冒怎么治？"
WHAT_TO_DO = "怀孕45天，严重感冒怎么办"  # the right entry
FEVER = "怀孕45天，严重感冒会不会发烧"  # same topic, another intent


def chinese_faq(folder: Path) -> Path:
    path = folder / "zh" / "dev.json"
    path.parent.mkdir()
    faq = [
        {"id": "what-to-do", "question": WHAT_TO_DO, "answer": "请咨询医生。", "language": "zh"},
        {"id": "fever", "question": FEVER, "answer": "不一定会发烧。", "language": "zh"},
    ]
    path.write_text(json.dumps({"faq": faq, "queries": []}, ensure_ascii=False))
    return path


async def test_a_query_row_picks_the_entry_a_passage_row_misses(
    settings: Settings, tmp_path: Path
) -> None:
    e5_settings = settings.model_copy(update={"embedding_model": "e5"})
    async with open_app(e5_settings, load_model=False, import_demo=False) as app:
        await app.catalog.import_file(chinese_faq(tmp_path), author="test")
        index = app.catalog.index
        [e5] = [part for part in encoder_parts(index.encoder) if of_family(part, "e5")]
        hits = index.search(QUESTION, k=2)
        # the passage rows alone would rank the fever entry first
        question = e5.encode([QUESTION])[0]
        passages = e5.encode_documents([WHAT_TO_DO, FEVER])
        assert passages[1] @ question > passages[0] @ question
        queries = e5.encode([WHAT_TO_DO, FEVER]) * QUERY_ROW_SCALE
        assert queries[0] @ question > max(passages @ question)
    assert [hit.document.question for hit in hits] == [WHAT_TO_DO, FEVER]
    assert hits[0].score == pytest.approx(float(queries[0] @ question), abs=1e-5)
    # both kinds of rows are kept on disk, under keys of their own
    assert isinstance(e5, DiskCachedEncoder)
    with np.load(e5.path, allow_pickle=False) as data:
        stored = {str(key) for key in data["keys"]}
    for text in (WHAT_TO_DO, FEVER):
        assert text_key(e5.model, text) in stored
        assert text_key(e5.model + DOCUMENTS, text) in stored


async def test_the_e5_curve_keeps_another_shops_policy_below_confident(settings: Settings) -> None:
    """The e5 curve fitted for precision on the Chinese dev set: "Taobao's return policy" meets
    the demo's return-policy entry at cosine 0.95 with a thin margin and "淘宝" unmatched; the
    earlier curve gave it 0.80 (a confident answer about our policy), this one about 0.67.
    A customer's own wording of an entry stays confident."""
    e5_settings = settings.model_copy(update={"embedding_model": "e5"})
    async with open_app(e5_settings, load_model=False) as app:
        other_shop = app.catalog.search("淘宝的退货政策是什么？", k=2, language="zh")
        ours = app.catalog.search("尺码不合适可以换吗", k=2, language="zh")
    assert other_shop[0].document.question == "你们的退货政策是什么？"
    assert RELATED_THRESHOLD <= other_shop[0].confidence < CONFIDENT_THRESHOLD
    assert ours[0].document.question == "可以换尺码或颜色吗？"
    assert ours[0].confidence >= CONFIDENT_THRESHOLD
