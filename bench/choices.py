"""How often "did you mean…" is asked on the dev sets, and whether the right entry is offered.

    python -m bench.choices [--datasets DIR ...] [--limit N] [--json]

For each dev set, opens the whole app on a temporary SQLite file with that set's FAQ imported
instead of the demo FAQ (embedding model loaded, no generation model), and sends every dev
query through the real ``ConversationService.handle`` as a new customer. Counts, per set:
- ``choice_share``: replies that ask "did you mean…" (mode ``choice``) over all queries;
- ``right_among_choices``: of those, how often the gold entry is among the offered entries;
- for context, the replies answered from one entry (``faq`` mode), split into confident
  matches and partial matches answered by a focused sentence, each with its precision.
Deterministic; one run is enough. It takes about a minute for both sets on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from bench.temporary_app import temporary_app
from bot.commands.eval_common import eval_scope
from bot.config import load_settings
from bot.conversation.exchange import AnswerMode, Incoming
from bot.knowledge.faq.faqfile import read_faq_file
from bot.knowledge.ranking.metrics import load_dataset
from storage.repositories import faq

DATASETS = Path("/work/shared/datasets")


def rate(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


async def measure(path: Path, limit: int | None) -> dict[str, Any]:
    _, queries = load_dataset(path)
    queries = queries[:limit] if limit else queries
    settings = load_settings()
    async with temporary_app(
        settings, prefix="supportbot-choices-", import_demo=False, vector_scope=eval_scope(path)
    ) as app:
        await app.catalog.import_records(read_faq_file(path), author="bench")
        async with app.session_factory() as session:
            entries = await faq.list_entries(session=session)
        external = {e.id: e.external_id or str(e.id) for e in entries}
        modes: dict[str, int] = {}
        choices = right_offered = offered_total = 0
        counts = {"confident": [0, 0], "sentence": [0, 0]}  # [answers, right]
        confident = app.conversation.limits.confident
        for number, (text, gold) in enumerate(queries, start=1):
            reply = await app.conversation.handle(Incoming(number, number, text, "bench"))
            modes[reply.mode.value] = modes.get(reply.mode.value, 0) + 1
            if reply.mode is AnswerMode.CHOICE:
                choices += 1
                offered = {external.get(c.faq_id) for c in reply.choices}
                offered_total += len(offered)
                right_offered += bool(offered & {str(g) for g in gold})
            elif reply.mode is AnswerMode.FAQ and reply.faq_ids:
                right = external.get(reply.faq_ids[0]) in {str(g) for g in gold}
                kind = "confident" if reply.confidence >= confident else "sentence"
                counts[kind][0] += 1
                counts[kind][1] += right
    return {
        "queries": len(queries),
        "modes": modes,
        "choices": choices,
        "choice_share": rate(choices, len(queries)),
        "right_among_choices": right_offered,
        "right_among_choices_rate": rate(right_offered, choices),
        "mean_choices_offered": round(offered_total / choices, 2) if choices else 0.0,
        "confident_answers": counts["confident"][0],
        "confident_precision": rate(counts["confident"][1], counts["confident"][0]),
        "sentence_answers": counts["sentence"][0],  # partial matches a focused sentence answered
        "sentence_precision": rate(counts["sentence"][1], counts["sentence"][0]),
    }


async def run(folders: list[Path], limit: int | None) -> dict[str, Any]:
    return {folder.name: await measure(folder / "dev.json", limit) for folder in folders}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, nargs="*", default=None)
    parser.add_argument("--limit", type=int, default=None, help="first N queries of each set")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    folders = args.datasets or sorted(p for p in DATASETS.iterdir() if (p / "dev.json").exists())
    result = asyncio.run(run(folders, args.limit))
    print(json.dumps(result, indent=2) if args.json else result)


if __name__ == "__main__":
    main()
