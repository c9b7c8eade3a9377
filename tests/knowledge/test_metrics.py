"""retrieval_metrics and load_dataset on a tiny hand-checked dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.metrics import load_dataset, retrieval_metrics


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "dev.json"
    data = {
        "name": "tiny",
        "faq": [
            {"id": "a", "question": "How long does shipping take?", "answer": "3-5 days."},
            {"id": "b", "question": "What is the return policy?", "answer": "30 days."},
            {"id": "c", "question": "When are you open?", "answer": "Mon-Fri 9-18."},
        ],
        "queries": [
            {"query": "shipping time", "faq_id": "a"},
            {"query": "return policy", "faq_id": "b"},
            {"query": "return shipping", "faq_ids": ["a", "c"]},  # gold ranks 2nd at best
            {"query": "weather", "faq_id": "c"},  # nothing matches
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_load_dataset(dataset: Path) -> None:
    documents, queries = load_dataset(dataset)
    assert [doc.id for doc in documents] == ["a", "b", "c"]
    assert queries[0] == ("shipping time", {"a"})
    assert queries[2] == ("return shipping", {"a", "c"})


def test_metrics_count_ranks(dataset: Path) -> None:
    documents, queries = load_dataset(dataset)
    index = FaqIndex(None)
    index.rebuild(documents)
    ranked = [[hit.document.id for hit in index.search(q, k=10)] for q, _ in queries]
    assert ranked[0][0] == "a" and ranked[1][0] == "b" and ranked[3] == []
    assert ranked[2][:2] == ["b", "a"]  # "return" is rarer than "shipping" here
    metrics = retrieval_metrics(index, queries, threshold=0.0)
    assert metrics["p_at_1"] == 0.5
    assert metrics["r_at_5"] == 0.75
    assert metrics["mrr_at_10"] == pytest.approx((1 + 1 + 0.5 + 0) / 4, abs=1e-4)
    assert metrics["confident_coverage"] == 0.75  # every query with a hit
    assert metrics["confident_precision"] == pytest.approx(2 / 3, abs=1e-4)
