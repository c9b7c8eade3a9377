"""Which pages a website source holds: a sitemap's URLs, or the pages a crawl from a start URL
reaches (same host, under the start URL's folder, robots.txt respected, at most ``max_pages``).

Both yield what ``PageFetcher`` made of each page as it arrives, with up to ``MAX_IN_FLIGHT``
pages in flight. A crawl also visits the pages a previous sync stored, so a page that lost its
last link is still checked rather than dropped for a broken parent.
"""

from __future__ import annotations

import asyncio
import gzip
from collections import deque
from collections.abc import AsyncIterator, Iterable
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit
from xml.etree import ElementTree

import httpx

from bot.knowledge.documents.extraction import ExtractionError
from bot.knowledge.documents.fetching import (
    Outcome,
    Page,
    PageFetcher,
    Planned,
    SourceUnavailable,
    failure_reason,
)

DEFAULT_MAX_PAGES = 500
SITEMAP_DEPTH = 3  # a sitemap index of sitemap indexes of sitemaps, no deeper
SKIPPED_SUFFIXES = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".css", ".js", ".json",
        ".xml", ".zip", ".gz", ".mp4", ".mp3", ".woff", ".woff2", ".ttf", ".exe", ".dmg",
    }
)  # fmt: skip


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)


def links_of(page: Page) -> list[str]:
    """The absolute URLs (no fragment) an HTML page links to."""
    if "html" not in page.content_type.lower():
        return []
    parser = _Links()
    parser.feed(page.body.decode("utf-8", errors="replace"))
    return [urldefrag(urljoin(page.url, href)).url for href in parser.hrefs]


def in_scope(url: str, start: str) -> bool:
    """Same scheme and host as ``start``, under its folder, and not an image, script or such."""
    candidate, base = urlsplit(url), urlsplit(start)
    folder = base.path.rsplit("/", 1)[0] + "/"
    suffix = candidate.path.rsplit("/", 1)[-1].rpartition(".")[2].lower()
    return (
        (candidate.scheme, candidate.netloc) == (base.scheme, base.netloc)
        and (candidate.path or "/").startswith(folder)
        and f".{suffix}" not in SKIPPED_SUFFIXES
    )


async def crawl(
    start: str, fetcher: PageFetcher, *, max_pages: int, known: Iterable[str] = ()
) -> AsyncIterator[Outcome]:
    """The pages reached from ``start`` (and the ``known`` ones), as they are fetched."""
    queue = deque(dict.fromkeys([start, *(url for url in known if in_scope(url, start))]))
    seen = set(queue)
    tasks: set[asyncio.Task[tuple[Outcome, Page | None]]] = set()
    visited = 0
    try:
        while queue or tasks:
            while queue and len(tasks) < 2 * fetcher.max_in_flight and visited < max_pages:
                url = queue.popleft()
                if await fetcher.allowed(url):
                    visited += 1
                    tasks.add(asyncio.create_task(fetcher.page(url)))
            if not tasks:
                break
            done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                outcome, page = task.result()
                for link in links_of(page) if page is not None else []:
                    if link not in seen and in_scope(link, start):
                        seen.add(link)
                        queue.append(link)
                yield outcome
    finally:
        for task in tasks:
            task.cancel()


async def sitemap_urls(url: str, fetcher: PageFetcher, depth: int = SITEMAP_DEPTH) -> list[str]:
    """Every page URL a sitemap (or sitemap index) lists, in order; ``SourceUnavailable``
    when a sitemap cannot be read."""
    try:
        page = await fetcher.get(url)
    except (httpx.HTTPError, ExtractionError) as exc:
        raise SourceUnavailable(f"{url}: {failure_reason(exc, fetcher.timeout)}") from None
    if page.status != 200:
        raise SourceUnavailable(f"{url}: HTTP {page.status}")
    body = gzip.decompress(page.body) if page.body[:2] == b"\x1f\x8b" else page.body
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise SourceUnavailable(f"{url}: not a sitemap ({exc})") from None
    locations = [
        (element.text or "").strip()
        for element in root.iter()
        if element.tag.rsplit("}", 1)[-1] == "loc" and (element.text or "").strip()
    ]
    if root.tag.rsplit("}", 1)[-1] != "sitemapindex":
        return locations
    if depth <= 1:
        raise SourceUnavailable(f"{url}: sitemap indexes nested too deep")
    nested = [await sitemap_urls(location, fetcher, depth - 1) for location in locations]
    return [page_url for urls in nested for page_url in urls]


async def sitemap_pages(
    url: str, fetcher: PageFetcher, *, max_pages: int
) -> AsyncIterator[Outcome | Planned]:
    """The sitemap's pages on its own host that robots.txt allows (the first ``max_pages``),
    as they are fetched."""
    host = urlsplit(url).netloc
    wanted: list[str] = []
    for page_url in dict.fromkeys(await sitemap_urls(url, fetcher)):
        if len(wanted) >= max_pages:
            break
        if urlsplit(page_url).netloc == host and await fetcher.allowed(page_url):
            wanted.append(page_url)
    yield Planned(len(wanted))
    for next_done in asyncio.as_completed([fetcher.outcome(page_url) for page_url in wanted]):
        yield await next_done
