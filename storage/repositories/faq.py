"""FAQ entries: CRUD where every change (delete included) is kept as a revision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FaqEntry, FaqRevision, utcnow

EDITABLE_FIELDS = ("question", "answer", "variants", "tags", "language", "enabled")


@dataclass(slots=True)
class FaqChanges:
    """Fields to change on an entry; None means "leave as is"."""

    question: str | None = None
    answer: str | None = None
    variants: Sequence[str] | None = None
    tags: Sequence[str] | None = None
    language: str | None = None
    enabled: bool | None = None
    external_id: str | None = field(default=None)


def _snapshot(entry: FaqEntry, action: str, author: str | None, now: datetime) -> FaqRevision:
    return FaqRevision(
        entry_id=entry.id,
        revision=entry.revision,
        action=action,
        question=entry.question,
        answer=entry.answer,
        variants=list(entry.variants or []),
        tags=list(entry.tags or []),
        language=entry.language,
        enabled=entry.enabled,
        changed_by=author,
        changed_at=now,
    )


async def get(*, session: AsyncSession, entry_id: int) -> FaqEntry | None:
    """The entry with this id."""
    return await session.get(FaqEntry, entry_id)


async def get_by_external_id(*, session: AsyncSession, external_id: str) -> FaqEntry | None:
    """The entry imported under this file id."""
    return await session.scalar(select(FaqEntry).where(FaqEntry.external_id == external_id))


async def list_entries(
    *,
    session: AsyncSession,
    enabled_only: bool = False,
    language: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[FaqEntry]:
    """Entries ordered by id."""
    query = select(FaqEntry).order_by(FaqEntry.id)
    if enabled_only:
        query = query.where(FaqEntry.enabled.is_(True))
    if language:
        query = query.where(FaqEntry.language == language)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query))


async def count(*, session: AsyncSession) -> int:
    """How many entries exist (enabled or not)."""
    return await session.scalar(select(func.count()).select_from(FaqEntry)) or 0


async def fingerprint(*, session: AsyncSession) -> tuple[int, int, datetime | None]:
    """(entries, sum of revisions, newest update): changes whenever any entry changes.

    A process that mirrors the FAQ (the bot's index) compares it to notice edits made by
    another process (the CLI) with one cheap query.
    """
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(FaqEntry.revision), 0),
                func.max(FaqEntry.updated_at),
            )
        )
    ).one()
    newest = row[2]
    if isinstance(newest, datetime) and newest.tzinfo is None:
        newest = newest.replace(tzinfo=UTC)
    return int(row[0]), int(row[1]), newest


async def changed_since(*, session: AsyncSession, since: datetime) -> list[FaqEntry]:
    """Entries created or updated at or after ``since``."""
    query = select(FaqEntry).where(FaqEntry.updated_at >= since).order_by(FaqEntry.id)
    return list(await session.scalars(query))


async def enabled_ids(*, session: AsyncSession) -> set[int]:
    """Ids of every enabled entry."""
    return set(await session.scalars(select(FaqEntry.id).where(FaqEntry.enabled.is_(True))))


async def find_text(*, session: AsyncSession, text: str, limit: int = 20) -> list[FaqEntry]:
    """Entries whose question or answer contains ``text`` (case-insensitive substring)."""
    pattern = f"%{text}%"
    query = (
        select(FaqEntry)
        .where(or_(FaqEntry.question.ilike(pattern), FaqEntry.answer.ilike(pattern)))
        .order_by(FaqEntry.id)
        .limit(limit)
    )
    return list(await session.scalars(query))


async def create(
    *,
    session: AsyncSession,
    question: str,
    answer: str,
    variants: Sequence[str] = (),
    tags: Sequence[str] = (),
    language: str = "en",
    enabled: bool = True,
    external_id: str | None = None,
    entry_id: int | None = None,
    author: str | None = None,
    now: datetime | None = None,
) -> FaqEntry:
    """A new entry with its first revision (``entry_id`` keeps an exported id on re-import)."""
    now = now or utcnow()
    entry = FaqEntry(
        id=entry_id,
        question=question,
        answer=answer,
        variants=list(variants),
        tags=list(tags),
        language=language,
        enabled=enabled,
        external_id=external_id,
        revision=1,
        created_by=author,
        created_at=now,
        updated_by=author,
        updated_at=now,
    )
    session.add(entry)
    await session.flush()
    session.add(_snapshot(entry, "create", author, now))
    await session.flush()
    return entry


async def update(
    *,
    session: AsyncSession,
    entry: FaqEntry,
    changes: FaqChanges,
    author: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Apply changes; records a revision and returns True only if something changed."""
    changed = False
    for name in EDITABLE_FIELDS:
        value = getattr(changes, name)
        if value is None:
            continue
        if name in ("variants", "tags"):
            value = list(value)
        if getattr(entry, name) != value:
            setattr(entry, name, value)
            changed = True
    if changes.external_id is not None and entry.external_id != changes.external_id:
        entry.external_id = changes.external_id
        changed = True
    if not changed:
        return False
    now = now or utcnow()
    entry.revision += 1
    entry.updated_by = author
    entry.updated_at = now
    session.add(_snapshot(entry, "update", author, now))
    await session.flush()
    return True


async def delete(
    *,
    session: AsyncSession,
    entry: FaqEntry,
    author: str | None = None,
    now: datetime | None = None,
) -> None:
    """Delete an entry; its history (and a final "delete" revision) stays."""
    now = now or utcnow()
    entry.revision += 1
    session.add(_snapshot(entry, "delete", author, now))
    await session.delete(entry)
    await session.flush()


async def revisions(*, session: AsyncSession, entry_id: int) -> list[FaqRevision]:
    """Every version of an entry, oldest first."""
    query = (
        select(FaqRevision).where(FaqRevision.entry_id == entry_id).order_by(FaqRevision.revision)
    )
    return list(await session.scalars(query))
