"""FaqCatalog: file import/export through the database, and edits from another process."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.knowledge.faq.catalog import FaqCatalog
from bot.knowledge.faq.faqfile import FaqFileError
from bot.knowledge.ranking.index import FaqIndex
from storage.repositories import faq

FAQ_YAML = """\
- id: ship-1
  question: How long does shipping take?
  answer: 3-5 business days.
  variants: ["When will my order arrive?"]
  tags: [shipping]
  language: en
- id: ret-1
  question: 如何办理退货？
  answer: 收到商品后30天内可以退货。
  language: zh
"""


async def test_dry_run_changes_nothing(catalog: FaqCatalog, tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text(FAQ_YAML, encoding="utf-8")
    report = await catalog.import_file(path, author="cli:t", dry_run=True)
    assert (report.added, report.dry_run) == (["ship-1", "ret-1"], True)
    assert await catalog.is_empty()
    assert catalog.search("shipping") == []


async def test_import_upserts_and_export_round_trips(catalog: FaqCatalog, tmp_path: Path) -> None:
    source = tmp_path / "faq.yaml"
    source.write_text(FAQ_YAML, encoding="utf-8")
    first = await catalog.import_file(source, author="cli:t")
    assert first.added == ["ship-1", "ret-1"]
    assert catalog.search("how long is shipping", k=1)[0].document.answer == "3-5 business days."

    again = await catalog.import_file(source, author="cli:t")
    assert (again.added, again.changed, again.unchanged) == ([], [], ["ship-1", "ret-1"])

    source.write_text(FAQ_YAML.replace("3-5 business days.", "2 days."), encoding="utf-8")
    changed = await catalog.import_file(source, author="cli:t")
    assert changed.changed == ["ship-1"]

    for suffix in (".yaml", ".json", ".csv"):
        exported = tmp_path / f"export{suffix}"
        assert await catalog.export_file(exported) == 2
        reexported = tmp_path / f"again{suffix}"
        await catalog.import_file(exported, author="cli:t")
        await catalog.export_file(reexported)
        assert reexported.read_bytes() == exported.read_bytes()


async def test_malformed_file_writes_nothing(catalog: FaqCatalog, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(FAQ_YAML + "- id: broken\n  question: no answer here\n", encoding="utf-8")
    with pytest.raises(FaqFileError):
        await catalog.import_file(path, author="cli:t")
    assert await catalog.is_empty()


async def test_sync_picks_up_changes_from_another_process(
    catalog: FaqCatalog, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as s, s.begin():
        kept = await faq.create(session=s, question="Opening hours?", answer="9-18")
        doomed = await faq.create(session=s, question="Do you sell gift cards?", answer="Yes")
    assert await catalog.load() == 2
    assert await catalog.sync() is False  # nothing changed: one cheap query

    # Another process (the CLI) edits, adds and deletes behind the catalog's back.
    async with session_factory() as s, s.begin():
        entry = await faq.get(session=s, entry_id=kept.id)
        assert entry is not None
        await faq.update(session=s, entry=entry, changes=faq.FaqChanges(answer="10-19"))
        added = await faq.create(session=s, question="Can I pay with PayPal?", answer="Yes")
        gone = await faq.get(session=s, entry_id=doomed.id)
        assert gone is not None
        await faq.delete(session=s, entry=gone)

    hits = await catalog.lookup("opening hours", k=1)
    assert hits[0].document.answer == "10-19"
    assert (await catalog.lookup("pay with paypal", k=1))[0].document.id == added.id
    assert doomed.id not in catalog.index
    assert len(catalog.index) == 2


async def test_load_skips_disabled_entries(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as s, s.begin():
        await faq.create(session=s, question="Hidden?", answer="x", enabled=False)
        await faq.create(session=s, question="Visible?", answer="y")
    catalog = FaqCatalog(session_factory, FaqIndex(encoder=None))
    assert await catalog.load() == 1
