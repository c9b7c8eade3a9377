"""What every `supportbot eval` shares, FAQ or documents dataset: where its vectors are kept and
the open-world questions no dataset answers (the other dev sets' queries, out-of-scope ones)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import App, open_app
from bot.config import PROJECT_ROOT, Settings
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


@asynccontextmanager
async def private_app(
    settings: Settings, dataset: Path, *, engine: Any = None, load_model: bool = False
) -> AsyncIterator[App]:
    """The app on a database of its own in a temporary folder (the configured one is never
    touched), with the dataset's vectors kept apart (``eval_scope``) and no demo FAQ."""
    with tempfile.TemporaryDirectory(prefix="supportbot-eval-") as folder:
        isolated = settings.model_copy(
            update={"database_url": f"sqlite+aiosqlite:///{Path(folder) / 'eval.db'}"}
        )
        async with open_app(
            isolated,
            engine=engine,
            load_model=load_model,
            import_demo=False,
            vector_scope=eval_scope(dataset),
        ) as app:
            yield app
