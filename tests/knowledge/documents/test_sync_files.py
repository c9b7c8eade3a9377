"""Files and folders as sources: what kind a location is, and a folder's sync (new, changed,
deleted and unreadable files) on a real database and index."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.knowledge.documents.library import DocumentLibrary
from bot.knowledge.documents.sources import SourceError, source_spec
from bot.knowledge.documents.storing import ChunkSizes
from bot.knowledge.ranking.index import FaqIndex


def test_the_kind_of_a_location(tmp_path: Path) -> None:
    (tmp_path / "manual.md").write_text("# Manual\n\nText.")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    assert source_spec(str(tmp_path)).kind == "folder"
    assert source_spec(str(tmp_path / "manual.md")).kind == "file"
    assert source_spec("https://help.example.com/sitemap.xml").kind == "sitemap"
    assert source_spec("https://help.example.com").location == "https://help.example.com/"
    assert source_spec("https://help.example.com/docs/").kind == "site"
    assert source_spec("https://help.example.com/docs/tv", max_pages=10).kind == "site"
    assert source_spec("https://help.example.com/docs/tv").kind == "url"
    for wrong in (str(tmp_path / "image.png"), str(tmp_path / "nothing.md"), "ftp://x/y.md"):
        with pytest.raises(SourceError):
            source_spec(wrong)
    with pytest.raises(SourceError):
        source_spec("https://help.example.com/", max_pages=0)


async def test_a_folder_synced_after_edits(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    folder = tmp_path / "help"
    (folder / "sub").mkdir(parents=True)
    (folder / ".drafts").mkdir()
    (folder / "antenna.md").write_text("# Antenna\n\nConnect the aerial to ANT IN first.")
    (folder / "sub" / "remote.txt").write_text("Replace the remote's batteries: two AAA cells.")
    (folder / "guide.html").write_text(
        "<html><body><main><h1>Guide</h1><p>Hold Home to pair Bluetooth.</p></main></body></html>"
    )
    (folder / ".drafts" / "secret.md").write_text("# Draft\n\nNot published yet.")
    (folder / "broken.pdf").write_bytes(b"not a pdf at all")
    library = DocumentLibrary(session_factory, FaqIndex(None))
    await library.load()

    first = await library.add(str(folder))
    assert (first.added, first.failed) == (3, 1)
    assert first.failures[0][0] == str(folder / "broken.pdf")
    texts = "\n".join(doc.answer for doc in library.index.documents())
    assert "Not published" not in texts and "ANT IN" in texts

    (folder / "broken.pdf").unlink()
    (folder / "sub" / "remote.txt").write_text("Replace the remote's batteries: two AA cells.")
    (folder / "antenna.md").write_bytes(b"\x00\xff\xfe garbage")  # unreadable now
    (folder / "guide.html").unlink()
    again = await library.sync()
    assert (again.changed, again.removed, again.failed, again.unchanged) == (1, 1, 1, 0)
    texts = "\n".join(doc.answer for doc in library.index.documents())
    assert "ANT IN" in texts  # the unreadable file keeps its last good passages
    assert "two AA cells" in texts and "Bluetooth" not in texts
    [source] = await library.sources()
    assert (source.kind, source.articles, source.failing) == ("folder", 2, 1)


async def test_a_file_source_whose_file_is_deleted(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    manual = tmp_path / "manual.md"
    manual.write_text("# Manual\n\n## Reset\n\nHold the power button for ten seconds.")
    library = DocumentLibrary(session_factory, FaqIndex(None))
    await library.load()
    assert (await library.add(str(manual))).added == 1
    assert (await library.add(str(manual))).unchanged == 1  # added twice: synced again
    manual.unlink()
    assert (await library.sync()).removed == 1
    assert len(library.index) == 0


async def test_new_passage_sizes_cut_unchanged_files_again(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    long_section = " ".join(f"Step {n}: press the button marked {n}." for n in range(40))
    (tmp_path / "steps.md").write_text(f"# Steps\n\n## All of them\n\n{long_section}\n")
    library = DocumentLibrary(session_factory, FaqIndex(None))
    await library.load()
    await library.add(str(tmp_path))
    before = len(library.index)
    assert (await library.sync()).unchanged == 1

    smaller = DocumentLibrary(session_factory, FaqIndex(None), sizes=ChunkSizes(max_words=60))
    await smaller.load()
    report = await smaller.sync()
    assert (report.changed, report.unchanged) == (1, 0)
    assert len(smaller.index) > before
