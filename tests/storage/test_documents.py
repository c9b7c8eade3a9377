"""Help-centre sources, articles and passages on a real database (SQLite, or PostgreSQL in the
PostgreSQL pass)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Passage
from storage.repositories import documents
from storage.repositories.documents import NewPassage


async def _article(
    s: AsyncSession, source_id: int, location: str, texts: list[str]
) -> tuple[int, list[int]]:
    article = await documents.add_document(
        session=s,
        source_id=source_id,
        location=location,
        title=f"Title of {location}",
        url=f"https://help.example.com/{location}",
        content_hash="0" * 64,
    )
    await documents.replace_passages(
        session=s,
        document_id=article.id,
        passages=[
            NewPassage(position=i, heading_path=("Settings", f"Part {i}"), text=text)
            for i, text in enumerate(texts)
        ],
    )
    ids = [p.id for p in await documents.passages_of(session=s, document_id=article.id)]
    return article.id, ids


async def test_passages_round_trip_with_their_article(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as s, s.begin():
        source = await documents.add_source(session=s, kind="site", location="https://h.example")
        article_id, ids = await _article(s, source.id, "night-mode", ["Dim it.", "Turn it off."])

    async with session_factory() as s:
        records = await documents.indexed_passages(session=s)
        assert [r.id for r in records] == ids
        assert records[1].heading_path == ("Settings", "Part 1")
        assert (records[1].title, records[1].url) == (
            "Title of night-mode",
            "https://help.example.com/night-mode",
        )
        assert records[0].document_id == article_id
        some = await documents.indexed_passages(session=s, ids=[ids[1]])
        assert [r.text for r in some] == ["Turn it off."]


async def test_fingerprint_changes_when_passages_are_replaced_by_as_many(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as s, s.begin():
        source = await documents.add_source(session=s, kind="file", location="/srv/help.md")
        article_id, old_ids = await _article(s, source.id, "a", ["one", "two"])
    async with session_factory() as s:
        before = await documents.passage_fingerprint(session=s)
    assert before == (2, max(old_ids))

    async with session_factory() as s, s.begin():
        await documents.replace_passages(
            session=s,
            document_id=article_id,
            passages=[
                NewPassage(position=0, heading_path=(), text="uno"),
                NewPassage(1, (), "dos"),
            ],
        )
    async with session_factory() as s:
        after = await documents.passage_fingerprint(session=s)
        new_ids = await documents.passage_ids(session=s)
    assert after[0] == 2 and after != before
    assert new_ids.isdisjoint(old_ids)  # ids are never reused, even for the highest rows


async def test_removing_a_source_takes_its_articles_and_passages(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as s, s.begin():
        kept = await documents.add_source(session=s, kind="folder", location="/srv/kept")
        gone = await documents.add_source(session=s, kind="folder", location="/srv/gone")
        await _article(s, kept.id, "k", ["kept passage"])
        await _article(s, gone.id, "g1", ["gone 1", "gone 2"])
        await _article(s, gone.id, "g2", ["gone 3"])
        kept_id, gone_id = kept.id, gone.id

    async with session_factory() as s:
        counts = {c.source.id: c for c in await documents.sources_with_counts(session=s)}
    assert (counts[gone_id].documents, counts[gone_id].passages) == (2, 3)
    assert (counts[kept_id].documents, counts[kept_id].passages) == (1, 1)

    async with session_factory() as s, s.begin():
        assert await documents.delete_source(session=s, source_id=gone_id)
        assert not await documents.delete_source(session=s, source_id=gone_id)
    async with session_factory() as s:
        texts = list(await s.scalars(select(Passage.text)))
        assert texts == ["kept passage"]
        assert await documents.documents_of(session=s, source_id=gone_id) == []
        assert [src.id for src in await documents.list_sources(session=s)] == [kept_id]


async def test_a_failing_article_is_counted(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as s, s.begin():
        source = await documents.add_source(session=s, kind="sitemap", location="https://x/s.xml")
        article_id, _ = await _article(s, source.id, "p", ["text"])
        article = await documents.get_document(session=s, document_id=article_id)
        assert article is not None
        article.last_error = "HTTP 503"
    async with session_factory() as s:
        [counts] = await documents.sources_with_counts(session=s)
        assert (counts.documents, counts.passages, counts.failing) == (1, 1, 1)
        assert (await documents.source_at(session=s, location="https://x/s.xml")) is not None
