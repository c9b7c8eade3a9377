"""The measured parts of ``bench.documents``, each run in a process of its own.

Each function here is what one part does through the product: ``open_app`` on a throwaway
SQLite file, articles imported with ``app.documents.add`` (what ``supportbot docs add`` calls,
with the app opened as it opens it: no encoder, no index), FAQ entries with
``app.catalog.import_records``, questions through ``app.catalog.lookup`` (what the conversation
calls). ``bench.documents`` runs each in a fresh spawned process, so the peak resident memory
it reports (``ru_maxrss``) is that part's alone, imports included.
"""

from __future__ import annotations

import asyncio
import resource
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psutil

from bench.timed_index import percentile
from bot.app import App, open_app
from bot.config import load_settings
from bot.conversation.service import SEARCH_K
from bot.knowledge.encoders.vector_cache import file_slug
from bot.knowledge.faq.faqfile import FaqRecord
from bot.knowledge.ranking.thresholds import CONFIDENT_THRESHOLD
from bot.knowledge.text.language import detect_language

MB = 1024 * 1024
WARM_UP = ("Where is my parcel?", "How do I reset the router?", "我的包裹在哪里？")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / MB, 1)


@asynccontextmanager
async def throwaway_app(
    database: Path, encoder: str, *, load_index: bool, vector_scope: str = ""
) -> AsyncIterator[App]:
    """``open_app`` over the configured settings with the database at ``database``."""
    settings = load_settings(
        embedding_model=encoder, database_url=f"sqlite+aiosqlite:///{database}"
    )
    async with open_app(
        settings,
        load_model=False,
        load_index=load_index,
        import_demo=False,
        vector_scope=vector_scope,
    ) as app:
        yield app


async def _passages(app: App) -> int:
    return sum(source.passages for source in await app.documents.sources())


def _rates(report: dict[str, Any], took: float, articles: int, size: int) -> dict[str, Any]:
    return {
        "wall_s": round(took, 2),
        "articles": articles,
        "articles_per_s": round(articles / took, 1),
        "mb": round(size / MB, 2),
        "mb_per_s": round(size / MB / took, 2),
        "counts": {k: report[k] for k in ("added", "changed", "unchanged", "removed", "failed")},
    }


def import_source(location: str, size: int, encoder: str, resync: bool) -> dict[str, Any]:
    """Add one source (a folder or a sitemap URL) as ``docs add`` does, optionally sync it
    again unchanged; ``size`` is the bytes of its articles (for MB/s)."""
    return asyncio.run(_import_source(location, size, encoder, resync))


async def _import_source(location: str, size: int, encoder: str, resync: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="supportbot-bench-docs-") as folder:
        async with throwaway_app(Path(folder) / "bench.db", encoder, load_index=False) as app:
            rss_before = rss_mb()
            started = time.perf_counter()
            report = (await app.documents.add(location)).as_dict()
            took = time.perf_counter() - started
            articles = int(report["added"])  # type: ignore[call-overload]
            result = _rates(report, took, articles, size)
            result.update(
                passages=await _passages(app),
                failures=report["failures"][:3],  # type: ignore[index]
                rss_before_mb=rss_before,
                peak_rss_mb=peak_rss_mb(),
            )
            if resync:
                started = time.perf_counter()
                again = (await app.documents.sync()).as_dict()
                took_again = time.perf_counter() - started
                result["resync"] = {
                    "wall_s": round(took_again, 2),
                    "fraction_of_import": round(took_again / took, 3),
                    "counts": _rates(again, took_again, 1, 0)["counts"],
                }
    return result


def search(
    folder: str,
    faq: Sequence[tuple[str, str]],
    queries: Sequence[dict[str, str]],
    encoder: str,
    keep_vectors: bool,
) -> dict[str, Any]:
    """Passages from the articles in ``folder`` beside ``faq``, then every query timed.
    ``keep_vectors``: the vector files of scope ``bench-documents`` are kept for the next run
    (its ``index_load_s`` is then a restart's, not a first encoding's)."""
    return asyncio.run(_search(Path(folder), faq, queries, encoder, keep_vectors))


async def _search(
    folder: Path,
    faq: Sequence[tuple[str, str]],
    queries: Sequence[dict[str, str]],
    encoder: str,
    keep_vectors: bool,
) -> dict[str, Any]:
    scope = "bench-documents" if keep_vectors else f"bench-documents-{time.time_ns()}"
    with tempfile.TemporaryDirectory(prefix="supportbot-bench-search-") as temporary:
        database = Path(temporary) / "bench.db"
        started = time.perf_counter()
        async with throwaway_app(database, encoder, load_index=False) as app:
            report = await app.documents.add(str(folder))
            records = [FaqRecord(id=None, question=q, answer=a) for q, a in faq]
            await app.catalog.import_records(records, author="bench")
        result: dict[str, Any] = {
            "populate_s": round(time.perf_counter() - started, 1),
            "articles": report.added,
        }
        started = time.perf_counter()
        async with throwaway_app(database, encoder, load_index=True, vector_scope=scope) as app:
            result["index_load_s"] = round(time.perf_counter() - started, 1)
            result["passages"] = app.documents.mirror.indexed
            result["faq_entries"] = len(app.catalog.index) - result["passages"]
            result.update(await _timed_queries(app, queries))
            result["peak_rss_mb"] = peak_rss_mb()
        if not keep_vectors:
            _forget_vectors(app, scope)
    return result


def _forget_vectors(app: App, scope: str) -> None:
    """The run's vector files in the model cache (a fresh scope per run: encoding is timed)."""
    for path in Path(app.settings.model_cache_dir).glob(f"embeddings-*.{file_slug(scope)}.npz"):
        path.unlink(missing_ok=True)


async def _lookup(app: App, query: str) -> list[Any]:
    """Retrieval as ``ConversationService._search`` does it."""
    hits = await app.catalog.lookup(query, SEARCH_K, detect_language(query))
    if not hits:
        hits = await asyncio.to_thread(app.catalog.search, query, SEARCH_K, None)
    return hits


async def _timed_queries(app: App, queries: Sequence[dict[str, str]]) -> dict[str, Any]:
    started = time.perf_counter()
    for query in WARM_UP:  # first searches load what is loaded lazily (mpnet, jieba)
        await _lookup(app, query)
    warm_up = time.perf_counter() - started
    rows = []
    for query in queries:
        started = time.perf_counter()
        hits = await _lookup(app, query["text"])
        took = (time.perf_counter() - started) * 1000
        top = hits[0] if hits else None
        sure = top is not None and top.confidence >= CONFIDENT_THRESHOLD and not top.reranked
        where = None
        if top is not None:
            origin = top.document.origin
            where = origin.title if origin is not None else top.document.question
        rows.append((took, sure, query, bool(top and top.reranked), where))
    return {"warm_up_s": round(warm_up, 1), **_latency(rows)}


def _latency(rows: list[tuple[float, bool, dict[str, str], bool, str | None]]) -> dict[str, Any]:
    def figures(times: list[float]) -> dict[str, Any]:
        if not times:
            return {"n": 0, "p50_ms": None, "p95_ms": None}
        return {
            "n": len(times),
            "p50_ms": round(percentile(times, 0.5), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
        }

    kinds = sorted({query["kind"] for _, _, query, _, _ in rows})
    return {
        "all": figures([ms for ms, *_ in rows]),
        "sure": figures([ms for ms, sure, *_ in rows if sure]),
        "unsure": figures([ms for ms, sure, *_ in rows if not sure]),
        "reranked": figures([ms for ms, _, _, reranked, _ in rows if reranked]),
        "by_kind": {
            kind: {
                **figures([ms for ms, _, q, _, _ in rows if q["kind"] == kind]),
                "sure": sum(sure for _, sure, q, _, _ in rows if q["kind"] == kind),
                "top_is_expected": sum(
                    bool(q.get("expect")) and where == q["expect"]
                    for _, _, q, _, where in rows
                    if q["kind"] == kind
                ),
                "sure_and_expected": sum(
                    sure and bool(q.get("expect")) and where == q["expect"]
                    for _, sure, q, _, where in rows
                    if q["kind"] == kind
                ),
            }
            for kind in kinds
        },
    }
