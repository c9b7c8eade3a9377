"""The console in a real browser: Playwright drives Debian's headless chromium against the app
served by uvicorn on 127.0.0.1, over a real SQLite file, with hand-off replies going to the fake
Bot API. One browser, one walk through the pages (kept lean: a few seconds)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from pydantic import SecretStr

from bot.app import open_app
from bot.channels.telegram.console_port import open_messenger
from bot.channels.web import ConsoleServices, create_app
from bot.config import Settings
from bot.conversation.exchange import Incoming
from tests.channels.telegram.fake_bot_api import TOKEN, FakeBotApi
from tests.console.conftest import ADMIN

CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
playwright_api = pytest.importorskip("playwright.async_api", reason="playwright not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not installed (apt-get install chromium): browser tests skipped",
)
CUSTOMER = 9001
NEW_ANSWER = "Every parcel arrives within 48 hours, tracked all the way."
SOUNDBAR_GUIDE = (
    "# Soundbar guide\n\n## Pairing\n\n"
    + "Hold the Bluetooth key on the soundbar for five seconds until the light blinks blue, "
    "then choose the soundbar in the Bluetooth settings of your phone or television. "
    * 3
    + "\n\n## Night mode\n\n"
    + "Night mode lowers loud effects and raises voices; press Sound, then Night. " * 4
)


async def _serve(console: ConsoleServices) -> AsyncIterator[str]:
    config = uvicorn.Config(
        create_app(console), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = asyncio.get_running_loop().time() + 10
    while not server.started:
        assert asyncio.get_running_loop().time() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.stop()


async def test_console_in_a_browser(
    console_settings: Settings, fake_api: FakeBotApi, tmp_path: Path
) -> None:
    settings = console_settings.model_copy(
        update={"telegram_token": SecretStr(TOKEN), "telegram_base_url": fake_api.base_url}
    )
    async with (
        open_app(settings, load_model=False, import_demo=True) as app,
        open_messenger(settings) as messenger,
    ):
        console = ConsoleServices.from_app(app, settings, messenger)
        async for base in _serve(console):
            await _walk(app, console, fake_api, base, tmp_path)


async def _walk(app, console, fake_api, base, shots) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        async def shot(name: str) -> None:
            await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        # Sign in through a one-time link.
        token = (await console.logins.issue_link(ADMIN)).rsplit("/", 1)[1]
        await page.goto(f"{base}/login/{token}")
        await shot("login")
        await page.click("#sign-in")
        await page.wait_for_url(f"{base}/faq")
        await shot("faq")

        # Edit entry 1: the preview shows the answer now and after the unsaved change.
        original = await app.admin.show_faq(1)
        await page.goto(f"{base}/faq/1")
        await page.fill("#try", original.question)
        await page.click("#preview-button")
        await page.wait_for_selector("#preview-after")
        assert original.answer[:30] in await page.inner_text("#preview-before")
        await page.fill("textarea[name=answer]", NEW_ANSWER)
        await page.click("#preview-button")
        await page.wait_for_function(
            "text => document.querySelector('#preview-after')?.innerText.includes(text)",
            arg=NEW_ANSWER,
        )
        assert original.answer[:30] in await page.inner_text("#preview-before")
        await shot("faq-edit")
        await page.click("#save")
        await page.wait_for_url(f"{base}/faq/1")
        reply = await app.conversation.handle(Incoming(77, 77, original.question))
        assert reply.text.startswith(NEW_ANSWER)

        # Roll back to the first revision.
        await page.goto(f"{base}/faq/1/revisions")
        await shot("faq-revisions")
        await page.click(f"button.rollback[data-revision='{original.revision}']")
        await page.wait_for_url(f"{base}/faq/1/revisions")
        assert (await app.admin.show_faq(1)).answer == original.answer

        # An import with one bad row is refused, naming the row.
        bad = shots / "bad.csv"
        bad.write_text("question,answer\nGift wrap?,Yes\n,no question here\n", encoding="utf-8")
        await page.goto(f"{base}/faq/import")
        await page.set_input_files("input[name=file]", str(bad))
        await page.click("#preview-import")
        error = await page.inner_text("#import-error")
        assert "line 3" in error
        assert await page.query_selector("#confirm-import") is None
        await shot("faq-import")

        # An agent's reply from the console reaches the customer in Telegram.
        fake_api.user(CUSTOMER, "Dora")
        await app.conversation.handle(Incoming(CUSTOMER, CUSTOMER, "where is my order 55"))
        ticket = await app.handoff.start(user_external_id=CUSTOMER, chat_id=CUSTOMER)
        await page.goto(f"{base}/handoffs")
        await shot("handoffs")
        await page.goto(f"{base}/handoffs/{ticket.customer.session_id}")
        await page.fill("textarea[name=text]", "Your order left the warehouse today.")
        await page.click("#send-reply")
        await fake_api.wait_until(
            lambda: "Your order left the warehouse today." in fake_api.bot_texts(CUSTOMER),
            within=10,
        )
        await shot("handoff")

        # Documents: upload a help article, read its passages, preview an answer from one.
        guide = shots / "soundbar.md"
        guide.write_text(SOUNDBAR_GUIDE, encoding="utf-8")
        await page.goto(f"{base}/documents")
        await page.set_input_files("#add-upload input[name=file]", str(guide))
        await page.click("#upload")
        await page.wait_for_url(f"{base}/documents")
        await console.documents.idle()
        await page.reload()
        assert "added 1" in await page.inner_text("#job-counts")
        await page.click("#sources a[href^='/documents/']")
        await page.click("#articles a[href^='/documents/articles/']")
        assert "Soundbar guide › Pairing" in await page.inner_text("main")
        await shot("documents-article")
        await page.goto(f"{base}/documents")
        await page.fill("#ask", "how do I pair the soundbar over bluetooth")
        await page.click("#ask-button")
        assert "Soundbar guide › Pairing" in await page.inner_text("#preview-source")
        await shot("documents")

        for name, path in [
            ("unanswered", "/unanswered"),
            ("conversations", "/conversations"),
            ("quality", "/quality"),
            ("evaluate", "/quality/evaluate"),
        ]:
            response = await page.goto(f"{base}{path}")
            assert response is not None and response.status == 200
            await shot(name)
        await browser.close()
    assert errors == []
    assert len(list(shots.glob("*.png"))) == 13
