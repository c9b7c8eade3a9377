"""/docs and /docs_sync through the real bot and the fake Bot API: sources with their counts,
a sync reporting unchanged and changed articles, bad arguments, and non-admins refused."""

from __future__ import annotations

from pathlib import Path

from telegram.ext import Application

from tests.channels.telegram.conftest import ADMIN_ID, replies, services
from tests.channels.telegram.fake_bot_api import FakeBotApi

ARTICLE = """# Remote control

## Batteries

Open the cover on the back of the remote and put in two AA batteries, plus sides up.
"""


async def test_docs_lists_sources_and_docs_sync_reports_counts(
    bot: Application, fake_api: FakeBotApi, tmp_path: Path
) -> None:
    admin = fake_api.user(ADMIN_ID, "Ada")
    fake_api.send_text(admin, "/docs")
    [empty] = await replies(fake_api, ADMIN_ID, 1)
    assert empty.startswith("No documents yet")

    folder = tmp_path / "help"
    folder.mkdir()
    (folder / "remote.md").write_text(ARTICLE, encoding="utf-8")
    library = services(bot).app.documents
    added = await library.add(str(folder))
    assert added.added == 1
    [source] = await library.sources()

    fake_api.send_text(admin, "/docs")
    listing = (await replies(fake_api, ADMIN_ID, 2))[-1]
    assert listing.startswith("Documents: 1 sources, 1 articles,")
    assert f"#{source.id} folder: {folder}" in listing
    assert f"1 articles, {source.passages} passages, synced 20" in listing

    fake_api.send_text(admin, "/docs_sync")
    texts = await replies(fake_api, ADMIN_ID, 4)
    assert texts[2] == "Syncing 1 sources…"
    assert texts[3].startswith("Sync done: added 0, changed 0, unchanged 1, removed 0, failed 0")

    (folder / "remote.md").write_text(ARTICLE.replace("two AA", "three AAA"), encoding="utf-8")
    fake_api.send_text(admin, f"/docs_sync {source.id}")
    texts = await replies(fake_api, ADMIN_ID, 6)
    assert texts[4] == f"Syncing source #{source.id}…"
    assert texts[5].startswith("Sync done: added 0, changed 1, unchanged 0")
    passages = await library.passages_of((await library.articles(source.id))[0].id)
    assert any("three AAA" in passage.text for passage in passages)

    fake_api.send_text(admin, "/docs_sync 999")
    fake_api.send_text(admin, "/docs_sync all")
    texts = await replies(fake_api, ADMIN_ID, 8)
    assert texts[6] == "There is no document source #999 (see /docs)."
    assert texts[7].startswith("Usage: /docs_sync [ID]")


async def test_docs_commands_are_for_admins_only(bot: Application, fake_api: FakeBotApi) -> None:
    eve = fake_api.user(66, "Eve")
    fake_api.send_text(eve, "/docs")
    fake_api.send_text(eve, "/docs_sync")
    texts = await replies(fake_api, 66, 2)
    assert all("Not allowed" in text for text in texts)
