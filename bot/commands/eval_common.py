"""What every `supportbot eval` shares, FAQ or documents dataset: where its vectors are kept and
the open-world questions no dataset answers (the other dev sets' queries, out-of-scope ones)."""

from __future__ import annotations

from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.knowledge.ranking.metrics import read_questions

OUT_OF_SCOPE = PROJECT_ROOT / "bench" / "data" / "out_of_scope.yaml"


def eval_scope(dataset: Path) -> str:
    """The vector files of one dataset: its entries are kept between evaluations of it, and
    never prune the bot's own FAQ vectors (each index keeps only its own entries' vectors)."""
    resolved = dataset.resolve()
    return f"eval-{resolved.parent.name}-{resolved.stem}"


def open_world_questions(dataset: Path, out_of_scope: Path | None) -> dict[str, list[str]]:
    """Questions this dataset's FAQ cannot answer: sibling dev sets' queries, out-of-scope."""
    sources: dict[str, list[str]] = {}
    for other in sorted(dataset.resolve().parent.parent.glob("*/dev.json")):
        if other.resolve() != dataset.resolve():
            sources[other.parent.name] = read_questions(other)
    if out_of_scope is not None and out_of_scope.is_file():
        sources["out_of_scope"] = read_questions(out_of_scope)
    return sources
