"""Every benchmark module imports: a bench is run by hand, so nothing else would notice that a
name it imports from the bot moved (bench.retrieval broke that way when ``ranking.index``
stopped importing ``embedded_texts``)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
MODULES = sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("module", MODULES)
def test_the_bench_module_imports(module: str) -> None:
    assert importlib.import_module(f"bench.{module}").__name__ == f"bench.{module}"
