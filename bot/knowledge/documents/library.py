"""DocumentLibrary: the business's help-centre articles as the bot knows them.

Storage is the truth (sources, articles, passages); the FAQ's ``FaqIndex`` holds the passages
beside the entries (``mirror.PassageMirror``), so a change is searchable at the next question,
here at once and in other processes after their next ``sync_index``. Adding a source fetches
its articles (``sources``/``fetching``/``crawling``); a sync fetches them again: an unchanged
article (same content hash) is skipped, a changed one re-chunked, a gone one (no longer listed,
404, 410) removed; any other failure keeps the article's last good passages and is reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.knowledge.documents.extraction import Article, ExtractionError
from bot.knowledge.documents.fetching import PageFetcher
from bot.knowledge.documents.mirror import PassageMirror, origin_of
from bot.knowledge.documents.sources import HANDED_IN, source_spec
from bot.knowledge.documents.storing import ChunkSizes, store_article
from bot.knowledge.documents.syncing import Progress, SourceSync
from bot.knowledge.documents.views import ArticleView, PassageView, SourceView, SyncReport
from bot.knowledge.ranking.index import FaqIndex
from storage.models import utcnow
from storage.repositories import documents
from storage.repositories.documents import PassageRecord, headings_of


class DocumentLibrary:
    """Sources of help-centre articles, their passages in storage and in the index."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        index: FaqIndex,
        *,
        sizes: ChunkSizes | None = None,
        fetcher_factory: Callable[[], PageFetcher] = PageFetcher,
    ) -> None:
        self.session_factory = session_factory
        self.index = index
        self.sizes = sizes or ChunkSizes()
        self.mirror = PassageMirror(session_factory, index)
        self.fetcher_factory = fetcher_factory  # one HTTP client per sync
        self._write_lock = asyncio.Lock()  # one add, sync or removal at a time per process

    async def load(self) -> int:
        """Every stored passage into the index; returns how many (call after the FAQ's load)."""
        return await self.mirror.load()

    async def sync_index(self) -> bool:
        """Pick up passages another process changed; True if the index changed. Cheap when
        nothing changed (one aggregate query), but it waits while new passages are encoded."""
        return await self.mirror.sync()

    async def catch_up(self) -> None:
        """What every lookup calls: ``sync_index`` in the background, so a customer's question
        never waits for another process's new passages to be encoded."""
        self.mirror.sync_in_background()

    async def close(self) -> None:
        """Let a background ``catch_up`` finish before the database closes."""
        await self.mirror.close()

    async def add(
        self, location: str, *, max_pages: int | None = None, progress: Progress | None = None
    ) -> SyncReport:
        """Add a source (a file, a folder, a page, a sitemap, a site to crawl: see
        ``sources.source_spec``; ``SourceError`` when it is none of them) and fetch its
        articles; a source added before is synced again (with ``max_pages`` when given)."""
        spec = source_spec(location, max_pages=max_pages)
        async with self._write_lock:
            async with self.session_factory() as session, session.begin():
                source = await documents.source_at(session=session, location=spec.location)
                if source is None:
                    source = await documents.add_source(
                        session=session,
                        kind=spec.kind,
                        location=spec.location,
                        max_pages=spec.max_pages,
                    )
                elif max_pages is not None:
                    source.max_pages = max_pages
                source_id = source.id
            return await self._sync([source_id], progress)

    async def sync(
        self, source_id: int | None = None, progress: Progress | None = None
    ) -> SyncReport:
        """Fetch every source's articles again (or one source's): unchanged skipped, changed
        re-chunked, gone removed, failures kept at their last good passages and reported."""
        async with self._write_lock:
            async with self.session_factory() as session:
                stored = await documents.list_sources(session=session)
            ids = [s.id for s in stored if source_id is None or s.id == source_id]
            return await self._sync(ids, progress)

    async def scheduled_sync(self) -> str:
        """``sync`` of every source, summed up in one line (the scheduler records it)."""
        return (await self.sync()).summary()

    async def _sync(self, source_ids: list[int], progress: Progress | None) -> SyncReport:
        report = SyncReport()
        try:
            async with self.fetcher_factory() as fetcher:
                for source_id in source_ids:
                    one = SourceSync(
                        self.session_factory,
                        source_id=source_id,
                        sizes=self.sizes,
                        progress=progress,
                    )
                    report.merge(await one.run(fetcher))
        finally:  # what was stored before a failure is searchable all the same
            await self.mirror.sync()
        return report

    async def add_article(
        self,
        article: Article,
        *,
        source_location: str,
        location: str | None = None,
        kind: str = HANDED_IN,
    ) -> SyncReport:
        """Store one article already in hand under the source at ``source_location`` (made on
        first use); ``location`` tells the source's articles apart (default: the article's
        URL, else its title). Searchable when this returns."""
        return await self.add_articles(
            [(location or article.url or article.title, article)],
            source_location=source_location,
            kind=kind,
        )

    async def add_articles(
        self,
        articles: Sequence[tuple[str, Article]],
        *,
        source_location: str,
        kind: str = HANDED_IN,
    ) -> SyncReport:
        """Store (location, article) pairs already in hand (``eval``'s dataset documents), each
        as ``add_article`` does, and make them searchable together (one encoding batch)."""
        report = SyncReport()
        async with self._write_lock:
            async with self.session_factory() as session, session.begin():
                source = await documents.source_at(session=session, location=source_location)
                if source is None:
                    source = await documents.add_source(
                        session=session, kind=kind, location=source_location
                    )
                report.source_ids.append(source.id)
                for where, article in articles:
                    try:
                        outcome = await store_article(
                            session=session,
                            source_id=source.id,
                            location=where,
                            article=article,
                            sizes=self.sizes,
                            now=utcnow(),
                        )
                    except ExtractionError as exc:
                        report.fail(where, str(exc))
                    else:
                        report.count(outcome)
            await self.mirror.sync()
        return report

    async def remove(self, source_id: int) -> SyncReport:
        """Forget a source with its articles and passages; ``removed`` counts its articles."""
        report = SyncReport()
        async with self._write_lock:
            async with self.session_factory() as session, session.begin():
                articles = await documents.documents_of(session=session, source_id=source_id)
                if await documents.delete_source(session=session, source_id=source_id):
                    report.removed = len(articles)
                    report.source_ids.append(source_id)
            await self.mirror.sync()
        return report

    async def sources(self) -> list[SourceView]:
        """Every source with its state and counts, oldest first."""
        async with self.session_factory() as session:
            rows = await documents.sources_with_counts(session=session)
        return [
            SourceView(
                id=row.source.id,
                kind=row.source.kind,
                location=row.source.location,
                title=row.source.title,
                max_pages=row.source.max_pages,
                added_at=row.source.added_at,
                last_synced_at=row.source.last_synced_at,
                last_error=row.source.last_error,
                articles=row.documents,
                passages=row.passages,
                failing=row.failing,
            )
            for row in rows
        ]

    async def articles(self, source_id: int) -> list[ArticleView]:
        """A source's articles, in the order they were first stored."""
        async with self.session_factory() as session:
            rows = await documents.documents_of(session=session, source_id=source_id)
        return [
            ArticleView(
                id=row.id,
                source_id=row.source_id,
                location=row.location,
                title=row.title,
                url=row.url,
                fetched_at=row.fetched_at,
                last_error=row.last_error,
                failed_at=row.failed_at,
            )
            for row in rows
        ]

    async def passages_of(self, document_id: int) -> list[PassageView]:
        """An article's passages in order, as the index sees them (empty for no article)."""
        async with self.session_factory() as session:
            article = await documents.get_document(session=session, document_id=document_id)
            if article is None:
                return []
            rows = await documents.passages_of(session=session, document_id=document_id)
            title, url = article.title, article.url
        views = []
        for row in rows:
            record = PassageRecord(
                id=row.id,
                document_id=row.document_id,
                position=row.position,
                heading_path=headings_of(row.heading_path),
                text=row.text,
                language=row.language,
                title=title,
                url=url,
            )
            views.append(
                PassageView(
                    id=row.id,
                    article_id=row.document_id,
                    position=row.position,
                    heading_path=record.heading_path,
                    text=row.text,
                    language=row.language,
                    origin=origin_of(record),
                )
            )
        return views
