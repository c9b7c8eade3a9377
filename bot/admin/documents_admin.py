"""The help-centre documents as admins' ways in (the web console, Telegram) reach them.

Wraps ``DocumentLibrary``: sources with their state, a source's articles, an article's
passages as the bot sees them, adding a source by URL or by an uploaded file, syncing and
removing. Fetching a site takes minutes, longer than a browser or a proxy waits for a page, so
adds and syncs run as one background job at a time (``start``); the page shows the job running
and, once done, its report. An uploaded file is kept in ``upload_dir`` under its own name, so a
later sync reads it again and uploading a new version of the same name replaces the article.
The "what would the bot answer" preview over passages and entries is ``preview``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from bot.admin.preview import AnswerPreview, PreviewAnswer
from bot.knowledge.documents.extraction import SUPPORTED_SUFFIXES
from bot.knowledge.documents.library import DocumentLibrary
from bot.knowledge.documents.sources import SourceError, source_spec
from bot.knowledge.documents.views import ArticleView, PassageView, SourceView, SyncReport
from bot.knowledge.entries import FaqHit, PassageOrigin
from storage.models import Passage, utcnow

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
UNSAFE_NAME = re.compile(r"[^\w.-]+")


class DocumentsError(ValueError):
    """A request the documents cannot carry out (one line saying why)."""


@dataclass(slots=True)
class Job:
    """An add or a sync running in the background, or finished (``report`` or ``error``)."""

    name: str
    started_at: datetime
    finished_at: datetime | None = None
    report: SyncReport | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ConsideredHit:
    """One passage or entry the search found for a previewed question."""

    kind: str  # "passage" | "entry"
    label: str  # the source line of a passage ("Title › Section"), an entry's question
    url: str | None
    confidence: float


@dataclass(frozen=True, slots=True)
class DocumentPreview:
    """What the bot would answer, with the passage behind it and what else it considered."""

    answer: PreviewAnswer
    source: PassageOrigin | None  # the passage answered from, if the best hit is one
    considered: list[ConsideredHit]


class DocumentsAdmin:
    """Documents for the console and Telegram's admin commands."""

    def __init__(self, library: DocumentLibrary, preview: AnswerPreview, upload_dir: Path):
        self.library = library
        self.answers = preview
        self.upload_dir = upload_dir.resolve()
        self.job: Job | None = None
        self._task: asyncio.Task[None] | None = None

    async def sources(self) -> list[SourceView]:
        return await self.library.sources()

    async def source(self, source_id: int) -> SourceView | None:
        return next((s for s in await self.library.sources() if s.id == source_id), None)

    async def articles(self, source_id: int) -> list[ArticleView]:
        return await self.library.articles(source_id)

    async def passages(self, article_id: int) -> list[PassageView]:
        return await self.library.passages_of(article_id)

    async def article_of_passage(self, passage_id: int) -> int | None:
        """The article a stored passage belongs to (None: gone, e.g. its article changed)."""
        async with self.library.session_factory() as session:
            passage = await session.get(Passage, passage_id)
            return passage.document_id if passage is not None else None

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, name: str, work: Callable[[], Awaitable[SyncReport]]) -> Job:
        """Run ``work`` in the background as the one job (DocumentsError while one runs)."""
        if self.busy:
            assert self.job is not None
            raise DocumentsError(f"still working on: {self.job.name}")
        job = self.job = Job(name=name, started_at=utcnow())
        self._task = asyncio.create_task(self._run(job, work))
        return job

    async def idle(self) -> Job | None:
        """Wait for the running job, if any; the last job."""
        if self._task is not None:
            await asyncio.shield(self._task)
        return self.job

    def add_location(self, location: str, max_pages: int | None = None) -> Job:
        """Add a page, a sitemap or a site to crawl. Only http(s) addresses: a path would let
        a console admin read the server's files into the bot's answers (files are uploaded;
        ``supportbot docs add`` on the server takes paths)."""
        location = location.strip()
        if urlsplit(location).scheme not in ("http", "https"):
            raise DocumentsError(f"{location or 'nothing'}: not an http(s) address")
        try:
            source_spec(location, max_pages=max_pages)
        except SourceError as exc:
            raise DocumentsError(str(exc)) from None
        return self.start(
            f"add {location}", lambda: self.library.add(location, max_pages=max_pages)
        )

    def save_upload(self, filename: str, content: bytes) -> Path:
        """Keep an uploaded file under ``upload_dir`` (same name: replaced); its path."""
        name = UNSAFE_NAME.sub("-", Path(filename).name).strip(".-")
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise DocumentsError(f"{filename or 'the file'}: unsupported type (supported: {kinds})")
        if not content:
            raise DocumentsError(f"{filename}: the file is empty")
        if len(content) > MAX_UPLOAD_BYTES:
            raise DocumentsError(f"{filename}: larger than {MAX_UPLOAD_BYTES // 2**20} MB")
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        path = self.upload_dir / name
        path.write_bytes(content)
        return path

    def add_upload(self, filename: str, content: bytes) -> Job:
        """Keep the file and add it as a source (a new version of a name syncs it again)."""
        path = self.save_upload(filename, content)
        return self.start(f"add {path.name}", lambda: self.library.add(str(path)))

    def sync(self, source_id: int | None = None) -> Job:
        """Fetch one source's articles again, or every source's."""
        name = f"sync source #{source_id}" if source_id is not None else "sync every source"
        return self.start(name, lambda: self.library.sync(source_id))

    async def remove(self, source_id: int) -> SyncReport:
        """Forget a source with its articles and passages (an uploaded file is deleted too)."""
        if self.busy:
            raise DocumentsError("wait until the running add or sync has finished")
        source = await self.source(source_id)
        if source is None:
            raise DocumentsError(f"there is no source {source_id}")
        report = await self.library.remove(source_id)
        if source.kind == "file":
            self._forget_upload(Path(source.location))
        return report

    def _forget_upload(self, path: Path) -> None:
        if path.parent == self.upload_dir:
            path.unlink(missing_ok=True)

    async def preview(self, question: str) -> DocumentPreview:
        """What the bot would answer to ``question``, passages included: on the live index,
        brought up to date with passages other processes changed, searched off the event
        loop (encoding the question takes model time)."""
        await self.library.sync_index()
        return await asyncio.to_thread(self._preview, question)

    def _preview(self, question: str) -> DocumentPreview:
        answer, hits = self.answers.answer_and_hits(question)
        best = next((h for h in hits if h.document.id == answer.entry_id), None)
        source = best.document.origin if best is not None else None
        return DocumentPreview(answer, source, [_considered(hit) for hit in hits])

    async def _run(self, job: Job, work: Callable[[], Awaitable[SyncReport]]) -> None:
        try:
            job.report = await work()
        except Exception as exc:  # shown on the page; the log has the traceback
            log.exception("documents: %s failed", job.name)
            job.error = str(exc) or type(exc).__name__
        finally:
            job.finished_at = utcnow()


def _considered(hit: FaqHit) -> ConsideredHit:
    origin = hit.document.origin
    if origin is not None:
        return ConsideredHit("passage", origin.label, origin.url, hit.confidence)
    return ConsideredHit(
        "entry", f"#{hit.document.id} {hit.document.question}", None, hit.confidence
    )
