"""DocumentLibrary on a real database and the real index (lexical): articles in, passages
searchable at once, unchanged articles skipped, another process's changes picked up."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import open_app
from bot.config import Settings
from bot.knowledge.documents.extraction import Article, article_from_markdown
from bot.knowledge.documents.library import DocumentLibrary
from bot.knowledge.documents.passages import is_passage_id
from bot.knowledge.ranking.index import FaqIndex

NIGHT_MODE = """# Picture settings

## Night mode

Night mode dims the screen after sunset and warms its colours so that watching late is easier
on the eyes. Open Settings, then Display, then switch Night mode on. It turns itself off again
in the morning, at the time set under Display, Schedule, Night mode ends.

## Energy saving

Energy saving lowers the backlight when the room is dark and turns the panel off after four
hours without a button press on the remote control. Open Settings, then General, then Energy
saving to choose how long the television waits before it switches itself off.
"""


async def test_an_article_is_searchable_with_its_source(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    library = DocumentLibrary(session_factory, FaqIndex(None))
    await library.load()
    report = await library.add_article(
        article_from_markdown(NIGHT_MODE, name="picture.md", url="https://help.example/picture"),
        source_location="tv-manual",
    )
    assert (report.added, report.failed) == (1, 0)

    [hit, *_] = library.index.search("how do I switch night mode on?", k=3)
    assert is_passage_id(hit.document.id)
    origin = hit.document.origin
    assert origin is not None
    assert origin.label == "Picture settings › Night mode"
    assert origin.url == "https://help.example/picture"

    [source] = await library.sources()
    assert (source.location, source.articles, source.passages) == ("tv-manual", 1, 2)
    [article] = await library.articles(source.id)
    passages = await library.passages_of(article.id)
    assert [p.heading_path for p in passages] == [("Night mode",), ("Energy saving",)]
    assert passages[0].origin.passage_id == passages[0].id


async def test_unchanged_is_skipped_and_a_change_replaces_the_passages(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    library = DocumentLibrary(session_factory, FaqIndex(None))
    await library.load()
    await library.add_article(
        article_from_markdown(NIGHT_MODE, name="p.md"), source_location="m", location="p"
    )
    again = await library.add_article(
        article_from_markdown(NIGHT_MODE, name="p.md"), source_location="m", location="p"
    )
    assert (again.added, again.unchanged, again.changed) == (0, 1, 0)
    before = {doc.id for doc in library.index.documents()}

    edited = NIGHT_MODE.replace("four\nhours", "two\nhours")
    changed = await library.add_article(
        article_from_markdown(edited, name="p.md"), source_location="m", location="p"
    )
    assert changed.changed == 1
    after = library.index.documents()
    assert len(after) == 2 and before.isdisjoint(doc.id for doc in after)
    assert any("after two hours" in " ".join(doc.answer.split()) for doc in after)


async def test_remove_takes_the_passages_out_of_the_index(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    library = DocumentLibrary(session_factory, FaqIndex(None))
    await library.load()
    report = await library.add_article(
        article_from_markdown(NIGHT_MODE, name="p.md"), source_location="m"
    )
    removed = await library.remove(report.source_ids[0])
    assert removed.removed == 1
    assert len(library.index) == 0
    assert await library.sources() == []
    assert (await library.remove(report.source_ids[0])).removed == 0


async def test_another_process_changes_reach_the_index_at_the_next_sync(
    settings: Settings,
) -> None:
    lexical = settings.model_copy(update={"embedding_model": "none"})
    async with open_app(lexical, load_model=False, import_demo=False) as bot:
        async with open_app(lexical, load_model=False, import_demo=False) as cli:
            report = await cli.documents.add_article(
                article_from_markdown(NIGHT_MODE, name="p.md"), source_location="manual"
            )
            assert not any(is_passage_id(d.id) for d in bot.catalog.index.documents())
            assert await bot.documents.sync_index()
            assert not await bot.documents.sync_index()  # nothing new: one cheap query
            hits = bot.catalog.search("switch night mode on", k=1)
            assert hits and hits[0].document.origin is not None

            await cli.documents.remove(report.source_ids[0])
            assert await bot.documents.sync_index()
            assert not any(is_passage_id(d.id) for d in bot.catalog.index.documents())

        async with open_app(lexical, load_model=False, import_demo=False) as restarted:
            assert restarted.documents.mirror.indexed == 0


async def test_passages_are_loaded_at_start_beside_the_faq(settings: Settings) -> None:
    lexical = settings.model_copy(update={"embedding_model": "none"})
    async with open_app(lexical, load_model=False) as first:
        await first.documents.add_article(
            article_from_markdown(NIGHT_MODE, name="p.md"), source_location="manual"
        )
        faq_entries = sum(1 for d in first.catalog.index.documents() if d.origin is None)
    async with open_app(lexical, load_model=False) as restarted:
        indexed = restarted.catalog.index.documents()
        assert sum(1 for d in indexed if d.origin is not None) == 2
        assert sum(1 for d in indexed if d.origin is None) == faq_entries > 0


async def test_articles_in_hand_are_added_together(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    library = DocumentLibrary(session_factory, FaqIndex(None))
    await library.load()
    report = await library.add_articles(
        [
            ("doc-1", article_from_markdown(NIGHT_MODE, name="a.md")),
            ("doc-2", article_from_markdown("# Sound\n\nPress Mute to silence.", name="b.md")),
            ("doc-3", Article(title="Blank", markdown="", url=None)),
        ],
        source_location="dataset.json",
    )
    assert (report.added, report.failed) == (2, 1)
    assert report.failures[0][0] == "doc-3"
    assert library.mirror.indexed == 3
    [source] = await library.sources()
    assert source.kind == "articles"
    assert {a.location for a in await library.articles(source.id)} == {"doc-1", "doc-2"}
    synced = await library.sync()  # nothing to fetch again: left as it is
    assert (synced.removed, synced.failed, library.mirror.indexed) == (0, 0, 3)


async def test_a_bulk_faq_import_keeps_the_passages(settings: Settings, tmp_path: Path) -> None:
    lexical = settings.model_copy(update={"embedding_model": "none"})
    faq_file = tmp_path / "faq.yaml"
    faq_file.write_text(
        "".join(f"- question: Question {n}?\n  answer: Answer {n}.\n" for n in range(12))
    )
    async with open_app(lexical, load_model=False, import_demo=False) as app:
        await app.documents.add_article(
            article_from_markdown(NIGHT_MODE, name="p.md"), source_location="manual"
        )
        await app.catalog.import_file(faq_file, author="test")  # > BULK_CHANGE: a rebuild
        indexed = app.catalog.index.documents()
        assert sum(1 for d in indexed if d.origin is None) == 12
        assert sum(1 for d in indexed if d.origin is not None) == 2
