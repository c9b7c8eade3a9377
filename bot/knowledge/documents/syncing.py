"""One source synced: its articles fetched again and storage brought in step with them.

Each article is stored in its own committed transaction as it arrives (``storing``): unchanged
(same content hash) skipped, changed re-chunked, new added; a ``Failed`` one is recorded on its
stored row and keeps its last good passages. When the listing has been read to its end, the
stored articles it did not yield (or that answered 404/410) are removed. A listing that could
not be read (``SourceUnavailable``) removes nothing and is reported as the source's last error.
"""

from __future__ import annotations

from collections.abc import Callable

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
from bot.knowledge.documents.sources import SourceSpec, outcomes
from bot.knowledge.documents.storing import (
    ChunkSizes,
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

    async def run(self, fetcher: PageFetcher) -> SyncReport:
        """Fetch every article of the source and store what changed."""
        async with self.session_factory() as session:
            source = await documents.get_source(session=session, source_id=self.source_id)
            if source is None:
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
        now = utcnow()
        async with self.session_factory() as session, session.begin():
            if isinstance(outcome, Fetched):
                self._listed.add(outcome.location)
                try:
                    result = await store_article(
                        session=session,
                        source_id=self.source_id,
                        location=outcome.location,
                        article=outcome.article,
                        sizes=self.sizes,
                        now=now,
                    )
                except ExtractionError as exc:
                    outcome = Failed(outcome.location, str(exc))
                else:
                    self.report.count(result)
                    return
            if isinstance(outcome, Failed):
                self._listed.add(outcome.location)
                self.report.fail(outcome.location, outcome.reason)
                await record_failure(
                    session=session,
                    source_id=self.source_id,
                    location=outcome.location,
                    reason=outcome.reason,
                    now=now,
                )

    async def _finish(self, *, error: str | None) -> None:
        async with self.session_factory() as session, session.begin():
            source = await documents.get_source(session=session, source_id=self.source_id)
            if source is None:  # removed meanwhile
                return
            source.last_error = error
            if error is None:
                removed = await remove_unlisted(
                    session=session, source_id=self.source_id, listed=self._listed
                )
                self.report.removed += len(removed)
                source.last_synced_at = utcnow()
