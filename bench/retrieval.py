"""Benchmark of FAQ retrieval: quality on the dev sets through the app, speed at 10,000 entries.

    python -m bench.retrieval [--json] [--encoder minilm+e5+mpnet|minilm+e5|minilm|e5|none|DIR]
                              [--entries 10000] [--datasets DIR] [--dataset NAME ...]
                              [--cold-rebuild] [--quality-only]
    python -m bench.retrieval --calibrate [--encoder ...] [--max-queries N]  # refit the curves

Quality comes from the application's own wiring only: each ``DATASETS/*/dev.json`` goes through
``bot.commands.eval_cmd.evaluate_dataset`` (what `supportbot eval --json` prints: ``open_app``
with the encoder named by ``--encoder`` as SUPPORTBOT_EMBEDDING_MODEL, the FAQ imported into a
temporary database): P@1, R@5, MRR@10, the confident mode's precision/coverage,
automation_rate, the open world (the other dev sets' queries and bench/data/out_of_scope.yaml,
where every confident hit is a false positive) and the app's search latency with how many
searches mpnet re-ranked. The out-of-scope questions are also asked of the demo FAQ
(prompts/faq.yaml) as a fresh install imports it. (Until issue 18 this part built its own index,
and reported the reranker's gains while the app never re-ranked anything.)

Speed, a scale test rather than a quality figure: an index of ``--entries`` entries built from
the dev FAQs (each entry a dev entry with a numbered suffix, so lexical postings are as long as in
a real FAQ of that size). Their vectors are the dev entries' real embeddings with a small random
perturbation, because encoding 20,000 texts on a 2-core CPU takes minutes and says nothing about
the index; that cost is measured separately (``encode_texts_per_s``) and added up in
``rebuild_cold_estimate_s`` (or measured for real with ``--cold-rebuild``). Queries are the dev
queries, each asked once (the encoder runs: ``search_*``) and again (its vector comes from the
LRU cache: ``search_cached_*``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.calibration import calibrate, out_of_scope_questions
from bench.temporary_app import temporary_app
from bench.timed_index import TimedFaqIndex, percentile
from bot.commands.eval_cmd import evaluate_dataset
from bot.config import Settings, load_settings
from bot.knowledge.encoders.base import TextEncoder
from bot.knowledge.encoders.loading import load_encoder
from bot.knowledge.encoders.routing import RoutedEncoder, encoder_parts
from bot.knowledge.entries import FaqDocument, embedded_texts
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.metrics import load_dataset, open_world_rate

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
LATENCY_QUERIES = 200
EDITS = 50


class PerturbedEncoder:
    """Real vectors for known texts, a jittered copy of a base text's vector for synthetic ones.

    Synthetic entry texts look like "<dev question> [#123]"; their vector is the dev text's
    vector plus noise, so nearest neighbours stay realistic without encoding 20,000 texts.
    Batches (entry texts) are remembered so each dev entry is encoded once per run; single
    texts (queries) always go to the real encoder, so query latency is never flattered.
    """

    def __init__(self, inner: TextEncoder, seed: int = 7) -> None:
        self.inner = inner
        self.languages = getattr(inner, "languages", None)
        self.synthetic: dict[str, str] = {}
        self._base: dict[str, np.ndarray] = {}
        self._random = np.random.default_rng(seed)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1 and texts[0] not in self.synthetic:
            return self.inner.encode(texts)
        bases = [self.synthetic.get(text, text) for text in texts]
        missing = [text for text in dict.fromkeys(bases) if text not in self._base]
        if missing:
            self._base.update(zip(missing, self.inner.encode(missing), strict=True))
        rows = np.vstack([self._base[base] for base in bases]) if bases else np.zeros((0, 1))
        synthetic = np.array([text in self.synthetic for text in texts])
        if synthetic.any():
            noise = self._random.normal(0.0, 0.02, size=(int(synthetic.sum()), rows.shape[1]))
            rows[synthetic] += noise.astype(np.float32)
            rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        return rows.astype(np.float32)


def perturbed_encoder(loaded: TextEncoder | None) -> TextEncoder | None:
    """The loaded encoder with its first (English) part wrapped in a PerturbedEncoder; the
    other parts (e5 for other languages) see no synthetic entries and stay as they are."""
    parts = list(encoder_parts(loaded))
    if not parts:
        return None
    parts[0] = PerturbedEncoder(parts[0])
    return RoutedEncoder(parts) if len(parts) > 1 else parts[0]


def perturbed_everywhere(encoder: TextEncoder | None) -> TextEncoder | None:
    """``encoder`` with every part perturbed, all sharing the first one's synthetic texts: the
    e5 second opinion (``ranking.second_opinion``) embeds the synthetic English entries
    too, and encoding them all for real would take minutes. Speed only: e5's entries are then
    encoded as queries, which would distort quality."""
    parts = list(encoder_parts(encoder))
    first = first_perturbed(encoder)
    if first is None or len(parts) < 2:
        return encoder
    for number, part in enumerate(parts):
        if not isinstance(part, PerturbedEncoder):
            parts[number] = PerturbedEncoder(part)
            parts[number].synthetic = first.synthetic  # type: ignore[attr-defined]
    return RoutedEncoder(parts)


def first_perturbed(encoder: TextEncoder | None) -> PerturbedEncoder | None:
    return next((p for p in encoder_parts(encoder) if isinstance(p, PerturbedEncoder)), None)


def timed_ms(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000.0


def synthetic_documents(
    base: Sequence[FaqDocument], count: int, encoder: PerturbedEncoder | None
) -> list[FaqDocument]:
    """``count`` entries cycling through ``base``, each with a numbered suffix."""
    documents = []
    for number in range(count):
        source = base[number % len(base)]
        suffix = f" [#{number}]"
        document = FaqDocument(
            id=f"syn-{number}",
            question=source.question + suffix,
            answer=source.answer,
            language=source.language,
        )
        if encoder is not None:
            for text, base_text in zip(
                embedded_texts(document), embedded_texts(source), strict=True
            ):
                encoder.synthetic[text] = base_text
        documents.append(document)
    return documents


QUALITY_KEYS = (
    "faq_entries", "queries", "p_at_1", "r_at_5", "mrr_at_10", "confident_threshold",
    "confident_precision", "confident_coverage", "confident_right", "automation_rate",
    "open_world_queries", "open_world_confident", "open_world_confident_rate",
    "open_world_by_source", "modes", "search",
)  # fmt: skip


def faq_datasets(folder: Path) -> list[Path]:
    """The ``*/dev.json`` under ``folder`` that are FAQ datasets (a documents dataset, such as
    emanual_tv, has articles instead of FAQ entries: this bench has nothing to rank there)."""
    paths = sorted(folder.glob("*/dev.json"))
    return [path for path in paths if "faq" in json.loads(path.read_text(encoding="utf-8"))]


def quality(settings: Settings, datasets: Sequence[Path]) -> dict[str, Any]:
    """Each dev set's figures as `supportbot eval --json` prints them, and the out-of-scope
    questions against the demo FAQ as a fresh install imports it (both through ``open_app``)."""
    results: dict[str, Any] = {}
    for path in datasets:
        figures = asyncio.run(evaluate_dataset(settings, path))
        results[path.parent.name] = {key: figures[key] for key in QUALITY_KEYS if key in figures}
    results["demo_faq_out_of_scope"] = asyncio.run(demo_out_of_scope(settings))
    return results


async def demo_out_of_scope(settings: Settings) -> dict[str, Any]:
    """bench/data/out_of_scope.yaml against the demo FAQ, in a temporary database."""
    async with temporary_app(settings) as app:
        threshold = app.conversation.limits.confident
        return open_world_rate(app.catalog.index, out_of_scope_questions(), threshold)


def speed(
    encoder: TextEncoder | None,
    datasets: Sequence[Path],
    entries: int,
    cold_rebuild: bool,
) -> dict[str, Any]:
    base: list[FaqDocument] = []
    queries: list[str] = []
    for path in datasets:
        documents, labelled = load_dataset(path)
        base.extend(documents)
        queries.extend(query for query, _ in labelled)
    encoder = perturbed_everywhere(encoder)
    step = max(1, len(queries) // LATENCY_QUERIES)
    queries = queries[::step][:LATENCY_QUERIES]
    perturbed = first_perturbed(encoder)
    documents = synthetic_documents(base, entries, perturbed)
    report: dict[str, Any] = {"entries": entries}

    if perturbed is not None:
        sample = [text for doc in base[:128] for text in embedded_texts(doc)][:256]
        seconds = timed_ms(lambda: perturbed.inner.encode(sample)) / 1000.0
        rate = len(sample) / seconds
        total_texts = sum(len(embedded_texts(doc)) for doc in documents)
        report["encode_texts_per_s"] = round(rate, 1)
        report["rebuild_cold_estimate_s"] = round(total_texts / rate, 1)
        if cold_rebuild:
            cold_index = FaqIndex(perturbed.inner)
            report["rebuild_cold_s"] = round(
                timed_ms(lambda: cold_index.rebuild(documents)) / 1000.0, 2
            )

    index = TimedFaqIndex(encoder)
    index.rebuild(documents)  # first build fills the vector cache (not timed)
    report["rebuild_s"] = round(timed_ms(lambda: index.rebuild(documents)) / 1000.0, 3)

    index.search("warm up", k=5)
    # The synthetic entries are near-copies of each other, so far more questions are uncertain
    # (and re-ranked by mpnet) here than on a real FAQ: the times are also split by that.
    report.update(index.timed(queries))
    cached = index.timed(queries)
    report["search_cached_p50_ms"] = cached["search_p50_ms"]
    report["search_cached_p95_ms"] = cached["search_p95_ms"]
    if perturbed is not None:
        fresh = [f"{query} please" for query in queries[:100]]
        encodes = [timed_ms(lambda q=query: perturbed.inner.encode([q])) for query in fresh]
        report["encode_query_p50_ms"] = round(percentile(encodes, 0.5), 2)
        report["encode_query_p95_ms"] = round(percentile(encodes, 0.95), 2)

    lexical = FaqIndex(None)
    lexical.rebuild(documents)
    lexical_times = [timed_ms(lambda q=query: lexical.search(q, k=5)) for query in queries]
    report["lexical_only_search_p50_ms"] = round(percentile(lexical_times, 0.5), 2)
    report["lexical_only_rebuild_s"] = round(
        timed_ms(lambda: lexical.rebuild(documents)) / 1000.0, 3
    )

    upserts, removes = [], []
    for number in range(EDITS):
        source = base[(number * 7) % len(base)]
        edited = FaqDocument(
            id=f"edit-{number}",
            question=f"{source.question} (edited {number})",
            answer=f"{source.answer} Updated on day {number}.",
        )
        upserts.append(timed_ms(lambda doc=edited: index.upsert(doc)))
        removes.append(timed_ms(lambda doc_id=edited.id: index.remove(doc_id)))
    report["upsert_p50_ms"] = round(statistics.median(upserts), 2)
    report["remove_p50_ms"] = round(statistics.median(removes), 3)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--encoder",
        default="minilm+e5+mpnet",
        help="minilm+e5+mpnet, minilm+e5, minilm, e5, none or a model directory",
    )
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--max-queries", type=int, default=None, help="per dataset, --calibrate")
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument(
        "--dataset", action="append", default=[], help="only these dev sets (folder names)"
    )
    parser.add_argument("--cold-rebuild", action="store_true", help="also encode all entries")
    parser.add_argument("--calibrate", action="store_true", help="refit the confidence curves")
    parser.add_argument("--quality-only", action="store_true", help="skip the speed part")
    args = parser.parse_args(argv)

    datasets = faq_datasets(args.datasets)
    if args.dataset:
        datasets = [path for path in datasets if path.parent.name in args.dataset]
    if not datasets:
        parser.error(f"no FAQ */dev.json under {args.datasets}")
    result: dict[str, Any] = {
        "encoder": args.encoder,
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    if not args.calibrate:
        result["quality"] = quality(load_settings(embedding_model=args.encoder), datasets)
    if args.calibrate or not args.quality_only:
        started = time.perf_counter()
        encoder = perturbed_encoder(load_encoder(args.encoder))
        result["encoder_load_s"] = round(time.perf_counter() - started, 2)
        if args.calibrate:
            result["calibration"] = calibrate(encoder, datasets, args.max_queries)
        else:
            result["speed"] = speed(encoder, datasets, args.entries, args.cold_rebuild)
    result["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
