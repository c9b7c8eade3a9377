"""Documents pages over HTTP: upload and add by URL (a help site on 127.0.0.1), the sources'
state, sync now, an article's passages, the answer preview with passages, and removal behind a
confirmation and CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.admin.documents_admin import DocumentsError
from bot.knowledge.documents.library import DocumentLibrary
from bot.knowledge.ranking.index import FaqIndex
from storage.repositories import messages, sessions, users
from tests.console.conftest import Console
from tests.knowledge.documents.help_site import help_site

PAIRING = (
    "Hold the Bluetooth key on the soundbar for five seconds until the light blinks blue. "
    "Then open the Bluetooth settings of your phone or television and choose the soundbar "
    "from the list of devices. The light stays blue once the devices are paired, and the "
    "soundbar remembers up to eight devices. To pair another device, repeat these steps. "
)
NIGHT = (
    "Night mode lowers loud effects and raises voices so that you can watch late without "
    "waking anyone. Press Sound on the remote control, then Night, to switch it on or off. "
    "The display shows NIGHT while it is on. Night mode switches itself off when the "
    "soundbar is turned off, so switch it on again the next evening if you want it. "
)
GUIDE = f"# Soundbar guide\n\n## Pairing\n\n{PAIRING * 2}\n\n## Night mode\n\n{NIGHT * 2}\n"
PAIRING_QUESTION = "how do I pair the soundbar over bluetooth"


async def _upload(console: Console, csrf: str, name: str, text: str) -> int:
    files = {"file": (name, text.encode(), "text/markdown")}
    response = await console.client.post("/documents/upload", data={"csrf": csrf}, files=files)
    assert response.status_code == 303, response.text
    return response.status_code


async def test_upload_sync_passages_preview_and_remove(console: Console, tmp_path) -> None:  # type: ignore[no-untyped-def]
    csrf = await console.login()
    assert "No documents yet" in (await console.client.get("/documents")).text
    await _upload(console, csrf, "soundbar guide.md", GUIDE)
    job = await console.services.documents.idle()
    assert job is not None and job.report is not None and job.report.added == 1
    [source] = await console.services.documents.sources()
    assert source.kind == "file" and source.passages >= 2
    listing = await console.client.get("/documents")
    assert "Done:" in listing.text and "added 1" in listing.text
    assert f'<td class="passages">{source.passages}</td>' in listing.text

    [article] = await console.services.documents.articles(source.id)
    assert article.title == "Soundbar guide"
    assert (
        f"/documents/articles/{article.id}"
        in (await console.client.get(f"/documents/{source.id}")).text
    )
    passages = await console.client.get(f"/documents/articles/{article.id}")
    assert (
        "Soundbar guide › Pairing" in passages.text
        and "Night mode lowers loud effects" in passages.text
    )

    preview = await console.client.get("/documents", params={"ask": PAIRING_QUESTION})
    assert 'id="document-preview"' in preview.text
    assert "From: Soundbar guide › Pairing" in preview.text  # a confident passage
    assert "passage: Soundbar guide › Pairing" in preview.text.split('class="considered"')[1]

    synced = await console.client.post(f"/documents/{source.id}/sync", data={"csrf": csrf})
    assert synced.status_code == 303
    job = await console.services.documents.idle()
    assert job is not None and job.report is not None and job.report.unchanged == 1
    await _upload(console, csrf, "soundbar guide.md", GUIDE.replace("five", "ten"))
    job = await console.services.documents.idle()
    assert job is not None and job.report is not None and job.report.changed == 1
    assert len(await console.services.documents.sources()) == 1  # the same file, replaced

    asked = await console.client.get(f"/documents/{source.id}/remove")
    assert "Remove source" in asked.text and 'id="confirm-remove"' in asked.text
    forged = await console.client.post(f"/documents/{source.id}/remove", data={"csrf": "x"})
    assert forged.status_code == 403 and len(await console.services.documents.sources()) == 1
    removed = await console.client.post(f"/documents/{source.id}/remove", data={"csrf": csrf})
    assert removed.status_code == 303
    assert await console.services.documents.sources() == []
    assert not list(console.services.documents.upload_dir.iterdir())
    after = await console.client.get("/documents", params={"ask": PAIRING_QUESTION})
    assert "hit-passage" not in after.text


async def test_add_by_url_refusals_and_one_job_at_a_time(console: Console) -> None:
    csrf = await console.login()
    refused = await console.client.post(
        "/documents/upload", data={"csrf": csrf}, files={"file": ("tool.exe", b"MZ", "x/y")}
    )
    assert refused.status_code == 400 and "unsupported type" in refused.text
    for location in ("ftp://x", "/etc", str(console.services.settings.console_secret_file)):
        bad = await console.client.post("/documents/add", data={"csrf": csrf, "location": location})
        assert bad.status_code == 400 and "not an http(s) address" in bad.text
    assert await console.services.documents.sources() == []

    with help_site() as site:
        site.html("/help/tv.html", "Child lock", "<p>Enter the PIN 0000 to block channels.</p>")
        added = await console.client.post(
            "/documents/add", data={"csrf": csrf, "location": f"{site.base}/help/tv.html"}
        )
        assert added.status_code == 303
        admin = console.services.documents
        with pytest.raises(DocumentsError, match="still working"):
            admin.sync()  # the add has not even started: one job at a time
        job = await admin.idle()
        assert job is not None and job.report is not None and job.report.added == 1
        [source] = await admin.sources()
        assert source.kind == "url" and source.last_synced_at is not None

        site.pages["/help/tv.html"].status = 503
        await console.client.post("/documents/sync", data={"csrf": csrf})
        job = await admin.idle()
        assert job is not None and job.report is not None and job.report.failed == 1
        page = await console.client.get("/documents")
        assert "HTTP 503" in page.text and '<span class="count">1</span>' in page.text
        assert (await admin.sources())[0].passages == source.passages  # kept


async def test_preview_sees_passages_another_process_added(console: Console, tmp_path) -> None:  # type: ignore[no-untyped-def]
    await console.login()
    guide = tmp_path / "soundbar.md"
    guide.write_text(GUIDE, encoding="utf-8")
    cli = DocumentLibrary(console.app.session_factory, FaqIndex(None))  # `supportbot docs add`
    assert (await cli.add(str(guide))).added == 1
    preview = await console.client.get("/documents", params={"ask": PAIRING_QUESTION})
    assert "From: Soundbar guide › Pairing" in preview.text


async def test_a_reply_links_the_passages_it_answered_from(console: Console) -> None:
    csrf = await console.login()
    await _upload(console, csrf, "soundbar.md", GUIDE)
    await console.services.documents.idle()
    [source] = await console.services.documents.sources()
    [article] = await console.services.documents.articles(source.id)
    passage = (await console.services.documents.passages(article.id))[0]
    async with console.app.session_factory() as s, s.begin():
        user = await users.get_or_create(
            session=s, channel="telegram", external_id=5150, name="Pat", language="en"
        )
        chat, _ = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=5150, ttl=timedelta(minutes=30)
        )
        await messages.add(session=s, session_id=chat.id, role="user", text=PAIRING_QUESTION)
        await messages.add(
            session=s,
            session_id=chat.id,
            role="assistant",
            text=PAIRING,
            mode="faq",
            faq_ids=[1, f"passage:{passage.id}"],  # type: ignore[list-item]
        )
        user_id = user.id
    transcript = await console.client.get(f"/conversations/{user_id}")
    assert 'href="/faq/1"' in transcript.text
    assert f'href="/documents/passages/{passage.id}"' in transcript.text
    found = await console.client.get(f"/documents/passages/{passage.id}")
    assert found.status_code == 303
    assert found.headers["location"] == f"/documents/articles/{article.id}#passage-{passage.id}"
    gone = await console.client.get("/documents/passages/999999")
    assert gone.status_code == 404 and "no longer stored" in gone.text


async def test_the_faq_preview_names_a_passage_it_would_answer_from(console: Console) -> None:
    csrf = await console.login()
    await _upload(console, csrf, "soundbar.md", GUIDE)
    await console.services.documents.idle()
    entry = await console.app.admin.show_faq(1)
    form = {
        "csrf": csrf,
        "entry_id": "1",
        "question": entry.question,
        "answer": entry.answer,
        "language": "en",
        "enabled": "on",
        "try": PAIRING_QUESTION,
    }
    preview = await console.client.post("/faq/preview", data=form)
    assert preview.status_code == 200
    assert (
        '">Soundbar guide › Pairing</a>' in preview.text and "/documents/passages/" in preview.text
    )
