"""The stored passages mirrored into the FAQ's ``FaqIndex``, the way ``FaqCatalog`` mirrors
entries: loaded at start, then kept in step by a cheap fingerprint (count and highest id of the
passages; ids are never reused) that lookups compare first, on a background task
(``sync_in_background``), and writers in this process await (``sync``).

When another process (the CLI, another instance, the scheduled sync) changed passages, only the
difference is applied: ids no longer stored are removed, new ids are read and upserted. Passages
are never rebuilt into the index (``FaqIndex.rebuild`` replaces everything, the FAQ included).
Until ``load`` has run the mirror does nothing: commands that only write passages (``docs add``
opens the app without an index) do not fill an index nobody searches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.knowledge.documents.passages import passage_document
from bot.knowledge.documents.repeats import RepeatedPassages
from bot.knowledge.entries import FaqDocument, PassageOrigin
from bot.knowledge.ranking.index import FaqIndex
from storage.repositories import documents
from storage.repositories.documents import PassageRecord

log = logging.getLogger(__name__)


def origin_of(record: PassageRecord) -> PassageOrigin:
    """Where a stored passage comes from (what its source line shows)."""
    return PassageOrigin(
        passage_id=record.id,
        article_id=record.document_id,
        title=record.title,
        heading_path=record.heading_path,
        url=record.url,
        position=record.position,
    )


def document_of(record: PassageRecord) -> FaqDocument:
    """The index's view of a stored passage."""
    return passage_document(origin_of(record), record.text, language=record.language)


class PassageMirror:
    """Keeps the index's passages equal to the stored ones."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], index: FaqIndex) -> None:
        self.session_factory = session_factory
        self.index = index
        self._repeats = RepeatedPassages()  # the index shows one passage per repeated text
        self._fingerprint: tuple[int, int] | None = None
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[bool] | None = None

    @property
    def indexed(self) -> int:
        """How many stored passages are mirrored (a repeated text counts each copy; the index
        shows one of them)."""
        return len(self._repeats.mirrored)

    async def load(self) -> int:
        """Every stored passage into the index (at start, after the FAQ's rebuild)."""
        async with self._lock:
            async with self.session_factory() as session:
                fingerprint = await documents.passage_fingerprint(session=session)
                records = await documents.indexed_passages(session=session)
            await asyncio.to_thread(self._apply, (), records)
            self._fingerprint = fingerprint
            return len(records)

    async def sync(self) -> bool:
        """Apply what changed in storage since the last look; True if the index changed.

        One aggregate query when nothing changed, so it is cheap enough before every search.
        """
        async with self._lock:
            if self._fingerprint is None:  # not loaded: nothing to keep in step
                return False
            async with self.session_factory() as session:
                fingerprint = await documents.passage_fingerprint(session=session)
                if fingerprint == self._fingerprint:
                    return False
                stored = await documents.passage_ids(session=session)
                mirrored = self._repeats.mirrored
                new = sorted(stored - mirrored)
                records = await documents.indexed_passages(session=session, ids=new) if new else []
            gone = mirrored - stored
            await asyncio.to_thread(self._apply, gone, records)
            self._fingerprint = fingerprint
            return True

    def sync_in_background(self) -> None:
        """``sync`` on a task of its own unless one is running: what a customer's question
        starts, so that it never waits while new passages are encoded (a help centre of 1,000
        articles is ~11,000 passages: minutes to an hour with the default encoders). The
        question is answered from the index as it is; the passages count once encoded."""
        if self._background is None or self._background.done():
            self._background = asyncio.get_running_loop().create_task(self._logged_sync())

    async def _logged_sync(self) -> bool:
        try:
            return await self.sync()
        except Exception:  # the next question tries again
            log.exception("could not bring the help-centre passages up to date")
            return False

    async def close(self) -> None:
        """Wait for a background sync to finish (before the database closes)."""
        if self._background is not None:
            await asyncio.gather(self._background, return_exceptions=True)

    def _apply(self, gone: Iterable[int], records: list[PassageRecord]) -> None:
        # Encoding passages takes CPU time: this runs on a worker thread.
        removals, upserts = self._repeats.change(gone, [document_of(r) for r in records])
        for index_id in removals:
            self.index.remove(index_id)
        self.index.upsert_many(upserts)
