"""Fetching help-centre pages over HTTP with httpx, politely.

``PageFetcher`` owns one ``httpx.AsyncClient`` for a whole sync: at most ``MAX_IN_FLIGHT``
requests at once, timeouts on every request, a body size limit, redirects followed, and
robots.txt read once per host (``allowed``; the crawl and the sitemap ask it, a single page an
admin named does not). ``outcome`` turns one URL into what a sync acts on: ``Fetched`` (its
bytes' digest, and how to read the article from them when the digest changed), ``Gone`` (404
or 410: the article is removed) or ``Failed`` (any other failure: the article keeps its last
good passages).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from bot.knowledge.documents.extraction import Article, ExtractionError, article_from_response

USER_AGENT = "supportbot (help-centre sync)"
ROBOTS_AGENT = "supportbot"
MAX_IN_FLIGHT = 4
MAX_BYTES = 50 * 1024 * 1024  # a larger page or PDF is reported, not read
TIMEOUT = httpx.Timeout(20.0, connect=10.0)
GONE_STATUSES = frozenset({404, 410})


def digest_of(*parts: bytes | str) -> str:
    """sha256 over ``parts`` (what was fetched, and where from)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Fetched:
    """What ``location`` holds now: ``digest`` of its bytes, and ``read`` (blocking: call it
    on a worker thread) to make the article of them, only needed when the digest changed."""

    location: str
    digest: str
    read: Callable[[], Article]


@dataclass(frozen=True, slots=True)
class Gone:
    """``location`` no longer exists (404, 410, a deleted file)."""

    location: str
    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    """``location`` could not be read this time (5xx, timeout, unreadable)."""

    location: str
    reason: str


@dataclass(frozen=True, slots=True)
class Planned:
    """How many articles a listing will yield (for a progress bar), when known."""

    total: int


Outcome = Fetched | Gone | Failed


class SourceUnavailable(Exception):
    """A source's listing could not be read (its sitemap, robots.txt or folder): nothing of it
    is removed, and the reason is reported."""


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched response: final URL after redirects, status, content type and body."""

    url: str
    status: int
    content_type: str
    body: bytes


def origin_of(url: str) -> str:
    """ "https://help.example.com/a/b" -> "https://help.example.com"."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def failure_reason(exc: Exception, timeout: httpx.Timeout) -> str:
    """One line saying why a request failed."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out (after {timeout.read or timeout.connect} s)"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return str(exc)


class PageFetcher:
    """HTTP for one sync: ``async with PageFetcher() as fetcher: ...``."""

    def __init__(
        self,
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
        timeout: httpx.Timeout = TIMEOUT,
    ) -> None:
        self.timeout = timeout
        self.max_in_flight = max_in_flight
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=max_in_flight),
        )
        self._slots = asyncio.Semaphore(max_in_flight)
        self._robots: dict[str, RobotFileParser] = {}
        self._robots_lock = asyncio.Lock()

    async def __aenter__(self) -> PageFetcher:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._client.aclose()

    async def get(self, url: str) -> Page:
        """One GET (redirects followed); raises ``httpx.HTTPError`` or ``ExtractionError``
        (too large)."""
        async with self._slots, self._client.stream("GET", url) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BYTES:
                raise ExtractionError(f"{url}: larger than {MAX_BYTES // 2**20} MB")
            body = bytearray()
            async for piece in response.aiter_bytes():
                body.extend(piece)
                if len(body) > MAX_BYTES:
                    raise ExtractionError(f"{url}: larger than {MAX_BYTES // 2**20} MB")
            return Page(
                url=str(response.url),
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=bytes(body),
            )

    async def page(self, url: str) -> tuple[Outcome, Page | None]:
        """``url`` fetched and read: the outcome, and the page when it answered 2xx."""
        try:
            page = await self.get(url)
        except (httpx.HTTPError, ExtractionError) as exc:
            return Failed(url, failure_reason(exc, self.timeout)), None
        if page.status in GONE_STATUSES:
            return Gone(url, f"HTTP {page.status}"), None
        if not 200 <= page.status < 300:
            return Failed(url, f"HTTP {page.status}"), None
        read = partial(article_from_response, page.body, page.content_type, url=page.url)
        return Fetched(url, digest_of(page.url, page.content_type, page.body), read), page

    async def outcome(self, url: str) -> Outcome:
        """What a sync does with ``url``."""
        return (await self.page(url))[0]

    async def allowed(self, url: str) -> bool:
        """Whether robots.txt lets supportbot fetch ``url``; raises ``SourceUnavailable`` when
        robots.txt cannot be read (5xx, network), so a sync removes nothing meanwhile."""
        origin = origin_of(url)
        async with self._robots_lock:
            if origin not in self._robots:
                self._robots[origin] = await self._read_robots(origin)
        return self._robots[origin].can_fetch(ROBOTS_AGENT, url)

    async def _read_robots(self, origin: str) -> RobotFileParser:
        robots = RobotFileParser(f"{origin}/robots.txt")
        try:
            page = await self.get(robots.url)
        except (httpx.HTTPError, ExtractionError) as exc:
            reason = failure_reason(exc, self.timeout)
            raise SourceUnavailable(f"{robots.url}: {reason}") from None
        if page.status in (401, 403):
            robots.disallow_all = True
        elif 400 <= page.status < 500:
            robots.allow_all = True
        elif page.status >= 300:
            raise SourceUnavailable(f"{robots.url}: HTTP {page.status}")
        else:
            robots.parse(page.body.decode("utf-8", errors="replace").splitlines())
        return robots
