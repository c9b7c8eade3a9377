"""``supportbot docs …``: the help-centre articles the bot answers from.

``add PATH_OR_URL…`` (a Markdown, HTML, text or PDF file, a folder of them, a page, a
``sitemap.xml``, or a site crawled from a start URL), ``list``, ``remove ID`` and ``sync [ID]``;
each with ``--json`` printing the counts (``added``, ``changed``, ``unchanged``, ``removed``,
``failed``). A progress bar is drawn on stderr when it is a terminal. The commands need the
database only (no encoder, no model): a running bot picks the passages up before its next
answer (``DocumentLibrary.sync_index``). Exit status 1 when any article or source failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from bot.app import open_app
from bot.config import Settings, UsageError, UserFacingError
from bot.knowledge.documents.library import DocumentLibrary
from bot.knowledge.documents.sources import SourceError, source_spec
from bot.knowledge.documents.views import SourceView, SyncReport

Action = Callable[[argparse.Namespace, DocumentLibrary], Awaitable[int]]
BAR_WIDTH = 30


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("docs", help="add, list, sync and remove help-centre articles")
    actions = parser.add_subparsers(dest="docs_command", metavar="ACTION", required=True)

    def action(name: str, handler: Action, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text)
        sub.set_defaults(handler=_runner(handler))
        sub.add_argument("--json", action="store_true", help="print the counts as JSON")
        return sub

    add = action("add", add_sources, "add files, folders, pages, sitemaps or sites and fetch them")
    add.add_argument("locations", nargs="+", metavar="PATH_OR_URL")
    add.add_argument(
        "--max-pages", type=int, default=None, help="crawl at most N pages (default 500)"
    )
    action("list", list_sources, "list sources with their articles, passages and failures")
    remove = action("remove", remove_source, "remove a source with its articles and passages")
    remove.add_argument("id", type=int)
    sync = action("sync", sync_sources, "fetch every source (or one) again; keep what changed")
    sync.add_argument("id", type=int, nargs="?", default=None)


def _runner(handler: Action) -> Callable[[argparse.Namespace, Settings], int]:
    """Wrap an async action with the database and the document library."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        async def main() -> int:
            async with open_app(
                settings, load_model=False, load_index=False, import_demo=False
            ) as app:
                return await handler(args, app.documents)

        return asyncio.run(main())

    return run


class ProgressBar:
    """A one-line progress bar on a terminal; nothing at all anywhere else."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.shown = stream.isatty()

    def __call__(self, done: int, total: int | None, location: str) -> None:
        if not self.shown:
            return
        where = location if len(location) <= 40 else "…" + location[-39:]
        if total:
            filled = BAR_WIDTH * min(done, total) // total
            line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} {where}"
        else:
            line = f"{done} fetched {where}"
        self.stream.write(f"\r\x1b[2K{line}")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def print_report(report: SyncReport, as_json: bool) -> int:
    """The counts (and failures), as text or JSON; exit status 1 when anything failed."""
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(report.summary())
        for location, reason in report.failures:
            print(f"  failed: {location}: {reason}")
    return 1 if report.failed else 0


async def add_sources(args: argparse.Namespace, library: DocumentLibrary) -> int:
    """Add each location as a source and fetch its articles."""
    try:
        for location in args.locations:  # every location checked before any is fetched
            source_spec(location, max_pages=args.max_pages)
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    report = SyncReport()
    bar = ProgressBar()
    try:
        for location in args.locations:
            report.merge(await library.add(location, max_pages=args.max_pages, progress=bar))
    finally:
        bar.close()
    return print_report(report, args.json)


def source_line(source: SourceView) -> str:
    synced = source.last_synced_at.strftime("%Y-%m-%d %H:%M") if source.last_synced_at else "never"
    state = f"  ! {source.last_error}" if source.last_error else ""
    failing = f", {source.failing} failing" if source.failing else ""
    return (
        f"{source.id:>4}  {source.kind:<7} {source.articles:>5} articles {source.passages:>6} "
        f"passages{failing}  synced {synced}  {source.location}{state}"
    )


async def list_sources(args: argparse.Namespace, library: DocumentLibrary) -> int:
    """Print every source with its state."""
    sources = await library.sources()
    if args.json:
        print(json.dumps([source.as_dict() for source in sources], ensure_ascii=False))
    elif not sources:
        print("no sources yet: supportbot docs add PATH_OR_URL")
    else:
        for source in sources:
            print(source_line(source))
    return 0


async def _known(library: DocumentLibrary, source_id: int) -> None:
    if all(source.id != source_id for source in await library.sources()):
        raise UserFacingError(f"no source {source_id} (see: supportbot docs list)")


async def remove_source(args: argparse.Namespace, library: DocumentLibrary) -> int:
    """Remove a source, its articles and their passages."""
    await _known(library, args.id)
    return print_report(await library.remove(args.id), args.json)


async def sync_sources(args: argparse.Namespace, library: DocumentLibrary) -> int:
    """Fetch every source (or one) again."""
    if args.id is not None:
        await _known(library, args.id)
    bar = ProgressBar()
    try:
        report = await library.sync(args.id, progress=bar)
    finally:
        bar.close()
    return print_report(report, args.json)
