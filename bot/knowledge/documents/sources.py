"""What kind of source a path or URL is, and the articles each kind holds.

- an existing file: ``file``; an existing folder: ``folder`` (every .md, .markdown, .html, .htm,
  .txt and .pdf below it, hidden folders skipped);
- a URL ending in ``.xml`` (or ``.xml.gz``): ``sitemap``;
- a URL of a site's root or a folder (ending in "/"), or any URL given with a page limit:
  ``site``, crawled from there;
- any other URL: ``url``, that one page.

``outcomes`` yields what each of a source's articles is this time (``Fetched``, ``Gone``,
``Failed``), after an optional ``Planned`` count; a listing that cannot be read at all raises
``SourceUnavailable``. A source of articles handed in whole (``HANDED_IN``: ``eval``'s dataset
documents) has nothing to fetch: a sync leaves it as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from bot.knowledge.documents.crawling import DEFAULT_MAX_PAGES, crawl, sitemap_pages
from bot.knowledge.documents.extraction import SUPPORTED_SUFFIXES, article_from_file
from bot.knowledge.documents.fetching import (
    Failed,
    Fetched,
    Gone,
    Outcome,
    PageFetcher,
    Planned,
    SourceUnavailable,
    digest_of,
)

KINDS = ("file", "folder", "url", "sitemap", "site")  # what a sync fetches again
HANDED_IN = "articles"  # articles handed in whole (``add_articles``): nothing to fetch again


class SourceError(ValueError):
    """A path or URL that cannot be a source (one line saying why)."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """What a sync needs to know of a source."""

    kind: str
    location: str  # an absolute path, or a URL
    max_pages: int | None = None


def source_spec(location: str, *, max_pages: int | None = None) -> SourceSpec:
    """The kind of source ``location`` is, with its location made absolute."""
    if max_pages is not None and max_pages < 1:
        raise SourceError("--max-pages must be at least 1")
    parts = urlsplit(location)
    if parts.scheme in ("http", "https") and parts.netloc:
        path = parts.path.lower()
        if path.endswith((".xml", ".xml.gz")):
            return SourceSpec("sitemap", location, max_pages)
        if max_pages is not None or path in ("", "/") or path.endswith("/"):
            return SourceSpec("site", location if parts.path else f"{location}/", max_pages)
        return SourceSpec("url", location)
    if parts.scheme and len(parts.scheme) > 1:
        raise SourceError(f"{location}: only http and https addresses can be fetched")
    path = Path(location).expanduser()
    if path.is_dir():
        return SourceSpec("folder", str(path.resolve()))
    if path.is_file():
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise SourceError(f"{location}: unsupported file type (supported: {kinds})")
        return SourceSpec("file", str(path.resolve()))
    raise SourceError(f"{location}: no such file or folder, and not an http(s) address")


def read_file(path: Path) -> Outcome:
    """One local file's digest (missing: gone; unreadable: failed). Blocking."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Gone(str(path), "file not found")
    except OSError as exc:
        return Failed(str(path), f"cannot read: {exc.strerror or exc}")
    return Fetched(str(path), digest_of(path.name, data), partial(article_from_file, path))


async def file_outcome(path: Path) -> Outcome:
    """``read_file`` on a worker thread."""
    return await asyncio.to_thread(read_file, path)


def folder_files(folder: Path) -> list[Path]:
    """The readable files below ``folder``, in name order (hidden files and folders skipped)."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


async def folder_outcomes(folder: Path) -> AsyncIterator[Outcome | Planned]:
    """Every readable file of a folder; ``SourceUnavailable`` when the folder is gone."""
    if not await asyncio.to_thread(folder.is_dir):
        raise SourceUnavailable(f"{folder}: folder not found (nothing removed)")
    files = await asyncio.to_thread(folder_files, folder)
    yield Planned(len(files))
    for path in files:
        yield await file_outcome(path)


async def outcomes(
    spec: SourceSpec, fetcher: PageFetcher, *, known: Iterable[str] = ()
) -> AsyncIterator[Outcome | Planned]:
    """What each article of the source is this time, as it arrives."""
    limit = spec.max_pages or DEFAULT_MAX_PAGES
    if spec.kind == "file":
        yield Planned(1)
        yield await file_outcome(Path(spec.location))
    elif spec.kind == "folder":
        async for item in folder_outcomes(Path(spec.location)):
            yield item
    elif spec.kind == "url":
        yield Planned(1)
        yield await fetcher.outcome(spec.location)
    elif spec.kind == "sitemap":
        async for item in sitemap_pages(spec.location, fetcher, max_pages=limit):
            yield item
    elif spec.kind == "site":
        async for outcome in crawl(spec.location, fetcher, max_pages=limit, known=known):
            yield outcome
    else:
        raise SourceUnavailable(f"{spec.location}: unknown kind of source {spec.kind!r}")
