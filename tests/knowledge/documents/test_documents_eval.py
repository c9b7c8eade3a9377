"""`supportbot eval` on a documents dataset: articles stored through the library, questions sent
through the conversation service, the figures and the per-question lines it prints."""

from __future__ import annotations

import json
from pathlib import Path

from bot.commands.eval_documents import evaluate_documents
from bot.config import Settings

DATASET = {
    "name": "tiny-manual",
    "source": "test",
    "license": "CC0",
    "documents": [
        {
            "id": "antenna",
            "title": "Connecting the antenna",
            "url": "https://help.example.com/antenna",
            "markdown": "# Connecting the antenna\n\nScrew the antenna cable into the ANT IN "
            "socket on the back of the television, then run Auto Program to search channels.",
        },
        {
            "id": "batteries",
            "title": "Remote control batteries",
            "url": None,
            "markdown": "# Remote control batteries\n\nSlide the cover on the back of the remote "
            "control down and put in two AAA batteries with the plus sides facing up.",
        },
        {"id": "empty", "title": "Contents", "url": None, "markdown": "# Contents\n"},
    ],
    "queries": [
        {
            "query": "where do I screw in the antenna cable",
            "doc_id": "antenna",
            "section": "Setup>Connecting the antenna",
            "answer": "Screw the antenna cable into the ANT IN socket on the back.",
            "kind": "normal",
        },
        {
            "query": "which batteries does the remote control take",
            "doc_id": "batteries",
            "section": "Remote>Batteries",
            "answer": "Put in two AAA batteries with the plus sides facing up.",
            "kind": "normal",
        },
    ],
}


async def test_eval_of_a_documents_dataset(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "tiny_manual"
    folder.mkdir()
    dataset = folder / "dev.json"
    dataset.write_text(json.dumps(DATASET), encoding="utf-8")
    lines = tmp_path / "per_query.jsonl"
    lexical = settings.model_copy(update={"embedding_model": "none"})
    result = await evaluate_documents(lexical, dataset, per_query=lines, out_of_scope=None)
    assert result["articles"] == 2 and result["articles_not_imported"] == 1  # a bare heading
    assert result["article_at_1"] == 1.0 and result["article_at_5"] == 1.0
    assert result["queries"] == 2 and sum(result["modes"].values()) == 2
    assert 0.5 <= result["answer_recall"] <= 1.0
    per_query = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()]
    assert [line["gold"] for line in per_query] == ["antenna", "batteries"]
    assert all(line["passage_ids"] and line["article_ids"] for line in per_query)
    assert list(result)[:3] == ["article_at_1", "article_at_5", "mrr_at_10"]
