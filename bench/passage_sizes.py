"""How passage size changes retrieval on a documents dataset, through the app's own wiring.

``python -m bench.passage_sizes --json [--dataset F] [--sizes 60,80,100,120,200] [--overlap 0]``

For each size the dataset's articles are stored through ``DocumentLibrary.add_articles`` with
that ``ChunkSizes`` (the chunker and storage of `docs add`) in a throwaway app, and every question
is searched as the conversation searches (``app.catalog.search``). Printed per size: passages,
how often the gold article is first and in the first five articles, and how many top hits with
confidence at or above the confident threshold come from the gold article. Strict article
labels only (no twins); the replies themselves are `supportbot eval`'s business. The chunker's
``DEFAULT_MAX_WORDS`` was chosen with this.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from bench.temporary_app import temporary_app
from bot.commands.eval_common import eval_scope
from bot.config import PROJECT_ROOT, Settings
from bot.knowledge.documents.evaluation import article_ranks, load_documents_dataset
from bot.knowledge.documents.storing import ChunkSizes

DEFAULT_DATASET = PROJECT_ROOT.parent / "shared" / "datasets" / "emanual_tv" / "dev.json"
SEARCH_DEPTH = 40


async def measure(settings: Settings, dataset: Path, sizes: ChunkSizes) -> dict[str, Any]:
    """The figures of one passage size."""
    articles, queries = load_documents_dataset(dataset)
    async with temporary_app(  # the dataset's vector files, as `supportbot eval` keeps them
        settings, prefix="supportbot-sizes-", import_demo=False, vector_scope=eval_scope(dataset)
    ) as app:
        app.documents.sizes = sizes
        report = await app.documents.add_articles(list(articles.items()), source_location="bench")
        stored = await app.documents.articles(report.source_ids[0])
        ids = {article.location: article.id for article in stored}
        confident_at = app.conversation.limits.confident
        first = top_five = confident = right = 0
        for query in queries:
            hits = app.catalog.search(query.query, k=SEARCH_DEPTH)
            ranked = article_ranks(hits)
            gold = ids.get(query.doc_id)
            first += ranked[:1] == [gold]
            top_five += gold in ranked[:5]
            if hits and hits[0].confidence >= confident_at:
                confident += 1
                right += ranked[:1] == [gold]
        passages = sum(source.passages for source in await app.documents.sources())
    return {
        "max_words": sizes.max_words,
        "overlap_words": sizes.overlap_words,
        "passages": passages,
        "queries": len(queries),
        "gold_first": first,
        "gold_in_first_five": top_five,
        "confident": confident,
        "confident_right": right,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--sizes", default="60,80,100,120,200", help="max words, comma-separated")
    parser.add_argument("--overlap", type=int, default=0, help="overlap words for every size")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    settings = Settings()
    rows = [
        asyncio.run(measure(settings, args.dataset, ChunkSizes(int(size), args.overlap)))
        for size in args.sizes.split(",")
    ]
    if args.json:
        print(json.dumps({"dataset": str(args.dataset), "sizes": rows}))
        return
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
