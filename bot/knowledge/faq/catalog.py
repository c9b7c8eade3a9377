"""FaqCatalog: the FAQ as customers see it — database entries mirrored into the FaqIndex.

The database is the truth (with revisions); the index is an in-memory view of the enabled
entries that every change updates at once, so an admin's edit is visible to the very next
customer question without a restart. File import (upsert by id, dry run) and export live here
because they must keep both sides in step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.knowledge.entries import FaqDocument, FaqHit
from bot.knowledge.faq.faqfile import FaqRecord, read_faq_file
from bot.knowledge.faq.faqfile_writer import write_faq_file
from bot.knowledge.ranking.index import FaqIndex
from storage.models import FaqEntry
from storage.repositories import faq

BULK_CHANGE = 8  # more changed entries than this: rebuild the index (batched) instead


def document_of(entry: FaqEntry) -> FaqDocument:
    """The retrieval view of a stored entry (its id is the database id)."""
    return FaqDocument(
        id=entry.id,
        question=entry.question,
        answer=entry.answer,
        variants=tuple(entry.variants or ()),
        tags=tuple(entry.tags or ()),
        language=entry.language,
    )


def record_of(entry: FaqEntry) -> FaqRecord:
    """The file view of a stored entry: the import id if it came from a file, else its id."""
    return FaqRecord(
        id=entry.external_id if entry.external_id is not None else entry.id,
        question=entry.question,
        answer=entry.answer,
        variants=tuple(entry.variants or ()),
        tags=tuple(entry.tags or ()),
        language=entry.language,
        enabled=entry.enabled,
    )


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, with ``dry_run``, would do), by file id."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would add" if self.dry_run else "added"
        return (
            f"{verb} {len(self.added)}, {'would change' if self.dry_run else 'changed'} "
            f"{len(self.changed)}, left {len(self.unchanged)} unchanged"
        )


class FaqCatalog:
    """Stored FAQ entries plus the search index over the enabled ones."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], index: FaqIndex) -> None:
        self.session_factory = session_factory
        self.index = index
        self._indexed: set[int] = set()
        self._fingerprint: tuple[int, int, datetime | None] | None = None
        self._sync_lock = asyncio.Lock()
        # Others that keep their own rows in this index (the help-centre passages): each is
        # brought up to date before every lookup too, so a question sees every instance's edits.
        self.also_sync: list[Callable[[], Awaitable[object]]] = []

    async def load(self) -> int:
        """Rebuild the index's FAQ entries from the database (help-centre passages in it stay);
        returns how many entries are searchable."""
        async with self.session_factory() as session:
            fingerprint = await faq.fingerprint(session=session)
            entries = await faq.list_entries(session=session, enabled_only=True)
        documents = [document_of(entry) for entry in entries]
        passages = [doc for doc in self.index.documents() if doc.origin is not None]
        # Encoding thousands of entries takes seconds: keep the event loop free meanwhile.
        await asyncio.to_thread(self.index.rebuild, documents + passages)
        self._indexed = {entry.id for entry in entries}
        self._fingerprint = fingerprint
        return len(documents)

    async def sync(self) -> bool:
        """Pick up changes another process (the CLI) made; True if the index changed.

        One aggregate query when nothing changed, so it is cheap enough before every search.
        """
        async with self._sync_lock, self.session_factory() as session:
            fingerprint = await faq.fingerprint(session=session)
            if fingerprint == self._fingerprint:
                return False
            since = self._fingerprint[2] if self._fingerprint else None
            if since is None:
                changed = await faq.list_entries(session=session)
            else:
                changed = await faq.changed_since(session=session, since=since)
            enabled = await faq.enabled_ids(session=session)
        for entry in changed:
            self.refresh(entry)
        for entry_id in self._indexed - enabled:
            self.forget(entry_id)
        self._fingerprint = fingerprint
        return True

    async def lookup(self, query: str, k: int = 5, language: str | None = None) -> list[FaqHit]:
        """``search`` after ``sync``: what the conversation service calls per question."""
        await self.sync()
        for sync in self.also_sync:
            await sync()
        # Encoding the query takes milliseconds of CPU: keep the event loop free meanwhile.
        return await asyncio.to_thread(self.search, query, k, language)

    def search(self, query: str, k: int = 5, language: str | None = None) -> list[FaqHit]:
        """The best entries for a customer's question, with calibrated confidence."""
        return self.index.search(query, k=k, language=language)

    def refresh(self, entry: FaqEntry) -> None:
        """Mirror one changed entry into the index (removed when disabled)."""
        if entry.enabled:
            self.index.upsert(document_of(entry))
            self._indexed.add(entry.id)
        else:
            self.forget(entry.id)

    def forget(self, entry_id: int) -> None:
        """Drop a deleted entry from the index."""
        if entry_id in self._indexed:
            self.index.remove(entry_id)
            self._indexed.discard(entry_id)

    async def is_empty(self) -> bool:
        """True when the database holds no FAQ entry at all (first start)."""
        async with self.session_factory() as session:
            return await faq.count(session=session) == 0

    async def import_file(
        self, path: Path, *, author: str | None, dry_run: bool = False
    ) -> ImportReport:
        """Upsert every entry of a FAQ file; a malformed file raises before anything is written."""
        records = read_faq_file(path)
        return await self.import_records(records, author=author, dry_run=dry_run)

    async def import_records(
        self, records: Sequence[FaqRecord], *, author: str | None, dry_run: bool = False
    ) -> ImportReport:
        """Upsert records by id in one transaction: all of them or none."""
        report = ImportReport(dry_run=dry_run)
        touched: list[FaqEntry] = []
        async with self.session_factory() as session, session.begin():
            for record in records:
                entry = await self._find(session, record)
                label = str(record.id) if record.id is not None else record.question[:40]
                if entry is None:
                    report.added.append(label)
                    if not dry_run:
                        touched.append(await self._create(session, record, author))
                    continue
                changes = faq.FaqChanges(
                    question=record.question,
                    answer=record.answer,
                    variants=record.variants,
                    tags=record.tags,
                    language=record.language,
                    enabled=record.enabled,
                )
                if self._differs(entry, changes):
                    report.changed.append(label)
                    if not dry_run:
                        await faq.update(
                            session=session, entry=entry, changes=changes, author=author
                        )
                        touched.append(entry)
                else:
                    report.unchanged.append(label)
        if len(touched) > BULK_CHANGE:
            await self.load()  # one batched encoding instead of one model call per entry
        else:
            for entry in touched:
                self.refresh(entry)
        return report

    async def export_file(self, path: Path) -> int:
        """Write every entry (enabled or not) to ``path``; the format follows the suffix."""
        async with self.session_factory() as session:
            entries = await faq.list_entries(session=session)
        write_faq_file(path, [record_of(entry) for entry in entries])
        return len(entries)

    @staticmethod
    def _differs(entry: FaqEntry, changes: faq.FaqChanges) -> bool:
        return any(
            (list(value) if isinstance(value, tuple) else value) != getattr(entry, name)
            for name in faq.EDITABLE_FIELDS
            if (value := getattr(changes, name)) is not None
        )

    @staticmethod
    async def _find(session: AsyncSession, record: FaqRecord) -> FaqEntry | None:
        if record.id is None:
            return None
        if isinstance(record.id, int):
            return await faq.get(session=session, entry_id=record.id)
        return await faq.get_by_external_id(session=session, external_id=record.id)

    @staticmethod
    async def _create(session: AsyncSession, record: FaqRecord, author: str | None) -> FaqEntry:
        entry = await faq.create(
            session=session,
            question=record.question,
            answer=record.answer,
            variants=record.variants,
            tags=record.tags,
            language=record.language,
            enabled=record.enabled,
            external_id=record.id if isinstance(record.id, str) else None,
            entry_id=record.id if isinstance(record.id, int) else None,
            author=author,
        )
        return entry
