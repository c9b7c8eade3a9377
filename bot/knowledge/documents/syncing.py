"""One source synced: its articles fetched again and storage brought in step with them.

Each article is stored in its own committed transaction as it arrives (``storing``): unchanged
(the fetched bytes' digest as stored) skipped without reading the article out of them, changed
re-chunked, new added; a ``Failed`` one is recorded on its stored row and keeps its last good
passages. When the listing has been read to its end, the
stored articles it did not yield (or that answered 404/410) are removed. A listing that could
not be read (``SourceUnavailable``) removes nothing and is reported as the source's last error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.knowledge.documents.extraction import ExtractionError
from bot.knowledge.documents.fetching import (
    Failed,
    Fetched,
    Outcome,
    PageFetcher,
    Planned,
    SourceUnavailable,
)
from bot.knowledge.documents.sources import KINDS, SourceSpec, outcomes
from bot.knowledge.documents.storing import (
    ChunkSizes,
    is_unchanged,
    record_failure,
    remove_unlisted,
    store_article,
)
from bot.knowledge.documents.views import SyncReport
from storage.models import utcnow
from storage.repositories import documents

Progress = Callable[[int, int | None, str], None]  # (articles done, total if known, location)


class SourceSync:
    """Syncs one stored source."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        source_id: int,
        sizes: ChunkSizes,
        progress: Progress | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.source_id = source_id
        self.sizes = sizes
        self.progress = progress
        self.report = SyncReport(source_ids=[source_id])
        self._listed: set[str] = set()
        self._unchanged: list[str] = []

    async def run(self, fetcher: PageFetcher) -> SyncReport:
        """Fetch every article of the source and store what changed."""
        async with self.session_factory() as session:
            source = await documents.get_source(session=session, source_id=self.source_id)
            if source is None:
                return self.report
            if source.kind not in KINDS:  # articles handed in whole: nothing to fetch
                return self.report
            spec = SourceSpec(source.kind, source.location, source.max_pages)
            stored = await documents.documents_of(session=session, source_id=source.id)
            known = [article.location for article in stored]
        total: int | None = None
        done = 0
        try:
            async for item in outcomes(spec, fetcher, known=known):
                if isinstance(item, Planned):
                    total = item.total
                    continue
                await self._apply(item)
                done += 1
                if self.progress is not None:
                    self.progress(done, total, item.location)
        except SourceUnavailable as exc:
            await self._finish(error=str(exc))
            self.report.fail(spec.location, str(exc))
            return self.report
        await self._finish(error=None)
        return self.report

    async def _apply(self, outcome: Outcome) -> None:
        if isinstance(outcome, Fetched):
            outcome = await self._store(outcome)
        if isinstance(outcome, Failed):
            self._listed.add(outcome.location)
            self.report.fail(outcome.location, outcome.reason)
            async with self.session_factory() as session, session.begin():
                await record_failure(
                    session=session,
                    source_id=self.source_id,
                    location=outcome.location,
                    reason=outcome.reason,
                    now=utcnow(),
                )

    async def _store(self, fetched: Fetched) -> Failed | None:
        """Store a fetched article unless its bytes are unchanged; a ``Failed`` when it cannot
        be read. Unchanged articles are only noted here (marked together at the end)."""
        self._listed.add(fetched.location)
        async with self.session_factory() as session:
            unchanged = await is_unchanged(
                session=session,
                source_id=self.source_id,
                location=fetched.location,
                digest=fetched.digest,
                sizes=self.sizes,
            )
        if unchanged:
            self._unchanged.append(fetched.location)
            self.report.count("unchanged")
            return None
        try:
            # Extraction takes CPU time (PDF, HTML): off the event loop.
            article = await asyncio.to_thread(fetched.read)
            async with self.session_factory() as session, session.begin():
                result = await store_article(
                    session=session,
                    source_id=self.source_id,
                    location=fetched.location,
                    article=article,
                    sizes=self.sizes,
                    now=utcnow(),
                    digest=fetched.digest,
                )
        except ExtractionError as exc:
            return Failed(fetched.location, str(exc))
        except OSError as exc:
            return Failed(fetched.location, f"cannot read: {exc.strerror or exc}")
        except IntegrityError:  # another process stored this article a moment ago
            return Failed(fetched.location, "stored by another sync at the same time")
        self.report.count(result)
        return None

    async def _finish(self, *, error: str | None) -> None:
        async with self.session_factory() as session, session.begin():
            source = await documents.get_source(session=session, source_id=self.source_id)
            if source is None:  # removed meanwhile
                return
            source.last_error = error
            await documents.mark_fetched(
                session=session, source_id=self.source_id, locations=self._unchanged, now=utcnow()
            )
            if error is None:
                removed = await remove_unlisted(
                    session=session, source_id=self.source_id, listed=self._listed
                )
                self.report.removed += len(removed)
                source.last_synced_at = utcnow()
