"""Benchmark of help-centre documents through the product (issue 19, point 9).

    python -m bench.documents [--json] [--runs 1] [--articles 1000] [--pages 200]
        [--passages 20000] [--faq 1000] [--queries 200] [--encoder minilm+e5+mpnet]
        [--parts markdown,site,search] [--keep-vectors]

- ``markdown``: a generated help centre of ``--articles`` Markdown articles (300-1,500 words,
  sections, lists, tables; ``bench.documents_corpus``) in a temporary folder, imported with
  ``app.documents.add(folder)`` as ``supportbot docs add`` imports it (the app opened without
  an encoder or index, as that command opens it: chunking and storage, no encoding).
- ``site``: ``--pages`` of those articles as HTML pages with navigation, cookie banner and
  footer, served with a sitemap.xml and robots.txt on 127.0.0.1 (``bench.documents_site``),
  imported by the sitemap's URL; then ``app.documents.sync()`` of the unchanged site (every
  article should count as unchanged) and its time as a fraction of the import's.
- ``search``: articles enough for ``--passages`` passages (counted with the product's chunker)
  imported beside ``--faq`` FAQ entries (``app.catalog.import_records``); the app reopened with
  its index as the bot starts (``index_load_s``: the encoders loaded and every entry and passage
  encoded by each, into vector files of the run's own, deleted afterwards; ``--keep-vectors``
  keeps the files of scope ``bench-documents``, so a later run times a restart), then
  ``--queries`` questions through ``app.catalog.lookup`` as the conversation asks them: an
  article section's own heading, a FAQ question word for word, loose questions of a few of a
  heading's words, and the hand-written out-of-scope questions. ``sure`` are the searches whose
  top hit was confident without the mpnet reranker; ``all`` every search.

Each part runs in a freshly spawned process (so ``peak_rss_mb`` is that part's own, imports
included); the load average is recorded before each run: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench import documents_phases as phases
from bench.calibration import out_of_scope_questions
from bench.documents_corpus import Article, HelpCentre
from bench.documents_site import serve_site
from bot.knowledge.documents.chunking import chunk_markdown

PARTS = ("markdown", "site", "search")


def in_child(function: Any, *args: Any) -> dict[str, Any]:
    """``function(*args)`` in a new spawned process (its own peak RSS)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def write_articles(articles: list[Article], folder: Path) -> int:
    """The articles as ``<name>.md`` files; returns their bytes."""
    size = 0
    for article in articles:
        data = article.markdown.encode()
        (folder / f"{article.name}.md").write_bytes(data)
        size += len(data)
    return size


def search_corpus(centre: HelpCentre, passages: int) -> list[Article]:
    """Articles until the product's chunker cuts them into at least ``passages`` passages."""
    articles: list[Article] = []
    counted = 0
    while counted < passages:
        article = centre.article(len(articles))
        articles.append(article)
        counted += len(chunk_markdown(article.markdown, title=article.title))
    return articles


def questions(
    centre: HelpCentre, articles: list[Article], faq: list[tuple[str, str]], count: int
) -> list[dict[str, str]]:
    """Heading (35%), FAQ (15%), loose (35%) and out-of-scope (15%) questions."""
    rng = centre.random
    headings, faq_n, outside = count * 35 // 100, count * 15 // 100, count * 15 // 100
    loose = count - headings - faq_n - outside
    wanted = headings + loose  # distinct articles when there are enough
    chosen = (
        rng.sample(articles, wanted)
        if len(articles) >= wanted
        else [rng.choice(articles) for _ in range(wanted)]
    )
    out = [
        {"kind": "heading", "text": rng.choice(a.headings), "expect": a.title}
        for a in chosen[:headings]
    ]
    out += [
        {"kind": "faq", "text": q, "expect": q} for q, _ in rng.sample(faq, min(faq_n, len(faq)))
    ]
    out += [
        {"kind": "loose", "text": centre.unsure_question(a), "expect": a.title}
        for a in chosen[headings:]
    ]
    oos = out_of_scope_questions()
    out += [{"kind": "out_of_scope", "text": q} for q in rng.sample(oos, min(outside, len(oos)))]
    rng.shuffle(out)
    return out


def one_run(args: argparse.Namespace, parts: set[str]) -> dict[str, Any]:
    """Every asked part once, on content generated afresh (same seed: same content)."""
    result: dict[str, Any] = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    centre = HelpCentre(seed=args.seed)
    articles = [centre.article(number) for number in range(max(args.articles, args.pages))]
    with tempfile.TemporaryDirectory(prefix="supportbot-bench-help-") as temporary:
        folder = Path(temporary)
        if "markdown" in parts:
            markdown = folder / "markdown"
            markdown.mkdir()
            size = write_articles(articles[: args.articles], markdown)
            result["markdown"] = in_child(
                phases.import_source, str(markdown), size, args.encoder, False
            )
        if "site" in parts:
            with serve_site(articles[: args.pages]) as (base, size):
                result["site"] = in_child(
                    phases.import_source, f"{base}/sitemap.xml", size, args.encoder, True
                )
        if "search" in parts:
            result["search"] = _search_part(args, folder / "search")
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _search_part(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    folder.mkdir()
    centre = HelpCentre(seed=args.seed + 1)
    articles = search_corpus(centre, args.passages)
    write_articles(articles, folder)
    faq = [centre.faq_entry() for _ in range(args.faq)]
    asked = questions(centre, articles, faq, args.queries)
    return in_child(phases.search, str(folder), faq, asked, args.encoder, args.keep_vectors)


FIGURES = {
    "markdown": ("wall_s", "articles_per_s", "mb_per_s", "peak_rss_mb"),
    "site": ("wall_s", "articles_per_s", "mb_per_s", "peak_rss_mb"),
    "site.resync": ("wall_s", "fraction_of_import"),
    "search": ("index_load_s", "peak_rss_mb"),
    "search.sure": ("p50_ms", "p95_ms"),
    "search.all": ("p50_ms", "p95_ms"),
}


def spread(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, min and max of each headline figure over the runs."""
    summary: dict[str, Any] = {}
    for where, names in FIGURES.items():
        for name in names:
            values = []
            for run in runs:
                node: Any = run
                for key in where.split("."):
                    node = node.get(key) if isinstance(node, dict) else None
                value = node.get(name) if isinstance(node, dict) else None
                if value is not None:
                    values.append(value)
            if values:
                summary[f"{where}.{name}"] = {
                    "median": round(statistics.median(values), 3),
                    "min": min(values),
                    "max": max(values),
                    "runs": len(values),
                }
    return summary


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--passages", type=int, default=20_000)
    parser.add_argument("--faq", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--encoder", default="minilm+e5+mpnet", help="SUPPORTBOT_EMBEDDING_MODEL for the search"
    )
    parser.add_argument("--parts", default=",".join(PARTS), help="markdown,site,search")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument(
        "--keep-vectors",
        action="store_true",
        help="keep the search part's vectors (model cache, scope bench-documents) for the next "
        "run: a restart's index load instead of a first encoding",
    )
    args = parser.parse_args(argv)
    parts = {part.strip() for part in args.parts.split(",") if part.strip()}
    if not parts <= set(PARTS):
        parser.error(f"--parts: choose from {', '.join(PARTS)}")
    started = time.perf_counter()
    runs = [one_run(args, parts) for _ in range(args.runs)]
    result = {
        "settings": {k: v for k, v in vars(args).items() if k != "json"},
        "cpus": os.cpu_count(),
        "runs": runs,
        "spread": spread(runs),
        "total_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
