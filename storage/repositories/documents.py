"""Help-centre sources, their articles (``documents`` rows) and the articles' passages.

An article's passages are replaced as a whole (``replace_passages``) and passage ids are never
reused, so ``passage_fingerprint`` (count, highest id) changes with every change to the
passages: a process that mirrors them into its index compares it before each search.
``indexed_passages`` returns plain ``PassageRecord`` values joined with their article, the
shape the index needs, read with one query per batch of ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HEADING_SEPARATOR, Document, Passage, Source, utcnow

ID_BATCH = 500  # ids per IN (...) list: well under SQLite's and asyncpg's parameter limits


@dataclass(frozen=True, slots=True)
class NewPassage:
    """A passage to store (its article and id come from the call)."""

    position: int
    heading_path: tuple[str, ...]
    text: str
    language: str = "en"


@dataclass(frozen=True, slots=True)
class PassageRecord:
    """A stored passage with its article's title and address: what the index is built from."""

    id: int
    document_id: int
    position: int
    heading_path: tuple[str, ...]
    text: str
    language: str
    title: str
    url: str | None


@dataclass(frozen=True, slots=True)
class SourceCounts:
    """A source with how many articles, passages and failing articles it has."""

    source: Source
    documents: int
    passages: int
    failing: int


def headings_of(stored: str) -> tuple[str, ...]:
    """The heading path of a stored ``heading_path`` column."""
    return tuple(part for part in stored.split(HEADING_SEPARATOR) if part)


# -- sources ------------------------------------------------------------------------------------


async def add_source(
    *,
    session: AsyncSession,
    kind: str,
    location: str,
    title: str | None = None,
    max_pages: int | None = None,
    now: datetime | None = None,
) -> Source:
    """A new source (``location`` is unique: look it up with ``source_at`` first)."""
    source = Source(
        kind=kind, location=location, title=title, max_pages=max_pages, added_at=now or utcnow()
    )
    session.add(source)
    await session.flush()
    return source


async def get_source(*, session: AsyncSession, source_id: int) -> Source | None:
    """The source with this id."""
    return await session.get(Source, source_id)


async def source_at(*, session: AsyncSession, location: str) -> Source | None:
    """The source added under this path or URL."""
    return await session.scalar(select(Source).where(Source.location == location))


async def list_sources(*, session: AsyncSession) -> list[Source]:
    """Every source, oldest first."""
    return list(await session.scalars(select(Source).order_by(Source.id)))


async def _count_by_source(session: AsyncSession, query: Select[Any]) -> dict[int, int]:
    return {int(row[0]): int(row[1]) for row in await session.execute(query)}


async def sources_with_counts(*, session: AsyncSession) -> list[SourceCounts]:
    """Every source with its article, passage and failing-article counts (three queries)."""
    per_source = select(Document.source_id, func.count(Document.id)).group_by(Document.source_id)
    articles = await _count_by_source(session, per_source)
    failing = await _count_by_source(session, per_source.where(Document.last_error.is_not(None)))
    passages = await _count_by_source(
        session,
        select(Document.source_id, func.count(Passage.id))
        .join(Passage, Passage.document_id == Document.id)
        .group_by(Document.source_id),
    )
    return [
        SourceCounts(
            source=source,
            documents=articles.get(source.id, 0),
            passages=passages.get(source.id, 0),
            failing=failing.get(source.id, 0),
        )
        for source in await list_sources(session=session)
    ]


async def delete_source(*, session: AsyncSession, source_id: int) -> bool:
    """Delete a source with its articles and passages; False when there is none."""
    await session.execute(
        delete(Passage).where(
            Passage.document_id.in_(select(Document.id).where(Document.source_id == source_id))
        )
    )
    await session.execute(delete(Document).where(Document.source_id == source_id))
    result = await session.execute(delete(Source).where(Source.id == source_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


# -- articles -----------------------------------------------------------------------------------


async def documents_of(*, session: AsyncSession, source_id: int) -> list[Document]:
    """A source's articles, in the order they were first stored."""
    query = select(Document).where(Document.source_id == source_id).order_by(Document.id)
    return list(await session.scalars(query))


async def get_document(*, session: AsyncSession, document_id: int) -> Document | None:
    """The article with this id."""
    return await session.get(Document, document_id)


async def document_at(*, session: AsyncSession, source_id: int, location: str) -> Document | None:
    """The article of a source fetched from this path or URL."""
    query = select(Document).where(Document.source_id == source_id, Document.location == location)
    return await session.scalar(query)


async def add_document(
    *,
    session: AsyncSession,
    source_id: int,
    location: str,
    title: str,
    url: str | None,
    content_hash: str,
    now: datetime | None = None,
) -> Document:
    """A new article of a source (its passages come with ``replace_passages``)."""
    document = Document(
        source_id=source_id,
        location=location,
        title=title,
        url=url,
        content_hash=content_hash,
        fetched_at=now or utcnow(),
    )
    session.add(document)
    await session.flush()
    return document


async def mark_fetched(
    *, session: AsyncSession, source_id: int, locations: Sequence[str], now: datetime
) -> int:
    """Record that these articles were fetched unchanged now (their failure, if any, is over)."""
    marked = 0
    for start in range(0, len(locations), ID_BATCH):
        result = await session.execute(
            update(Document)
            .where(
                Document.source_id == source_id,
                Document.location.in_(locations[start : start + ID_BATCH]),
            )
            .values(fetched_at=now, last_error=None, failed_at=None)
            .execution_options(synchronize_session=False)
        )
        marked += int(result.rowcount)  # type: ignore[attr-defined]
    return marked


async def delete_document(*, session: AsyncSession, document_id: int) -> int:
    """Delete an article and its passages; returns how many passages went."""
    result = await session.execute(delete(Passage).where(Passage.document_id == document_id))
    await session.execute(delete(Document).where(Document.id == document_id))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def replace_passages(
    *, session: AsyncSession, document_id: int, passages: Iterable[NewPassage]
) -> int:
    """Replace an article's passages with ``passages`` (new ids); returns how many were stored."""
    await session.execute(delete(Passage).where(Passage.document_id == document_id))
    rows = [
        Passage(
            document_id=document_id,
            position=passage.position,
            heading_path=HEADING_SEPARATOR.join(passage.heading_path),
            text=passage.text,
            language=passage.language,
        )
        for passage in passages
    ]
    session.add_all(rows)
    await session.flush()
    return len(rows)


# -- passages -----------------------------------------------------------------------------------


async def passage_fingerprint(*, session: AsyncSession) -> tuple[int, int]:
    """(passages, highest passage id): changes whenever any passage is added or removed."""
    row = (
        await session.execute(select(func.count(), func.coalesce(func.max(Passage.id), 0)))
    ).one()
    return int(row[0]), int(row[1])


async def passage_ids(*, session: AsyncSession) -> set[int]:
    """The id of every stored passage."""
    return set(await session.scalars(select(Passage.id)))


async def passages_of(*, session: AsyncSession, document_id: int) -> list[Passage]:
    """An article's passages in order."""
    query = select(Passage).where(Passage.document_id == document_id).order_by(Passage.position)
    return list(await session.scalars(query))


async def indexed_passages(
    *, session: AsyncSession, ids: Sequence[int] | None = None
) -> list[PassageRecord]:
    """Passages (all, or those with these ids) with their article's title and URL, by id."""
    columns = select(
        Passage.id,
        Passage.document_id,
        Passage.position,
        Passage.heading_path,
        Passage.text,
        Passage.language,
        Document.title,
        Document.url,
    ).join(Document, Document.id == Passage.document_id)
    if ids is None:
        batches = [columns.order_by(Passage.id)]
    else:
        ordered = sorted(ids)
        batches = [
            columns.where(Passage.id.in_(ordered[start : start + ID_BATCH])).order_by(Passage.id)
            for start in range(0, len(ordered), ID_BATCH)
        ]
    records: list[PassageRecord] = []
    for query in batches:
        for row in await session.execute(query):
            pid, document_id, position, headings, text, language, title, url = row
            records.append(
                PassageRecord(
                    id=pid,
                    document_id=document_id,
                    position=position,
                    heading_path=headings_of(headings),
                    text=text,
                    language=language,
                    title=title,
                    url=url,
                )
            )
    return records
