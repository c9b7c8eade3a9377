"""The widget in a real browser while the server side moves: the web chat process SIGKILLed
mid-reply and started again (the reply shown exactly once), then a hand-off answered from the
admin console's hand-off page arriving in the open page. One browser, one page, one walk.

The web chat runs as ``supportbot run`` serves it without Telegram, in a process of its own
(``web_process``, the FakeEngine); the console runs in the test's process over the same
database, as ``supportbot console`` does beside it: its reply is stored in the web inbox
(``RoutedMessenger``) and the web chat's worker turns it into an event in the visitor's stream.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import open_app
from bot.channels.web import ConsoleServices, create_app
from bot.channels.webchat.messenger import reaching_web_visitors
from bot.config import Settings
from tests.channels.webchat.conftest import QUESTION
from tests.channels.webchat.processes import (
    free_port,
    kill_when_holding,
    process_env,
    web_process,
)
from tests.channels.webchat.shop_site import CHROMIUM, serving, shop

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not installed (apt-get install chromium): browser tests skipped",
)
ADMIN = 111
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
AGENT_TEXT = "Your parcel left our warehouse this morning."


async def test_a_restart_mid_reply_and_a_person_answering_live(
    web_settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    chat_url = [f"http://127.0.0.1:{port}"]
    async with serving(shop(chat_url)) as shop_url:
        env = process_env(web_settings, port, tmp_path, SUPPORTBOT_WIDGET_ORIGINS=shop_url)
        async with playwright_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox"]
            )
            try:
                page = await browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                async with web_process(env | {"SUPPORTBOT_TEST_HOLD_AFTER": QUESTION}) as first:
                    await page.goto(shop_url)
                    await _ask(page)
                    await kill_when_holding(first)  # the reply stored, never put in the outbox
                async with web_process(env):
                    await _reply_shown_once(page)
                    await _person_answers(page, web_settings, tmp_path)
                assert errors == []
            finally:
                await browser.close()


async def _ask(page: Any) -> None:
    await page.get_by_role("button", name="Acme help").click()
    box = page.get_by_role("textbox", name="Your message")
    await box.fill(QUESTION)
    await box.press("Enter")
    mine = page.get_by_role("log").locator(".m.you")
    await playwright_api.expect(mine).to_have_count(1)
    await playwright_api.expect(mine).not_to_have_class(re.compile(r"\bwait\b"))  # 202: stored


async def _reply_shown_once(page: Any) -> None:
    """The restarted process replays the item; the widget's stream resumes by itself."""
    expect = playwright_api.expect
    bot = page.get_by_role("log").locator(".m.bot")
    await expect(bot.filter(has_text="business days")).to_have_count(1, timeout=20_000)
    await expect(bot).to_have_count(1)
    await expect(page.get_by_role("log").locator(".m.you")).to_have_count(1)


async def _person_answers(page: Any, web_settings: Settings, tmp_path: Path) -> None:
    """ "Talk to a person" from the menu, then an agent answers on the console's hand-off page."""
    expect = playwright_api.expect
    log = page.get_by_role("log")
    await page.get_by_role("button", name="Menu").click()
    await page.locator(".menu button").first.press("Enter")  # "Talk to a person", by keyboard
    await expect(page.get_by_role("textbox", name="Your message")).to_be_focused()  # not lost
    notices = log.locator(".m.notice")
    await expect(notices.last).to_contain_text("A member of our team", timeout=10_000)
    settings = web_settings.model_copy(
        update={
            "admin_ids": [ADMIN],
            "console_port": 8099,
            "console_secret_file": tmp_path / "console_secret",
        }
    )
    async with open_app(settings, load_model=False, import_demo=False) as app:
        messenger = reaching_web_visitors(app, settings, None)
        console = ConsoleServices.from_app(app, settings, messenger)
        transport = httpx.ASGITransport(app=create_app(console))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            csrf = await _login(client, console)
            [waiting] = await app.handoff.overdue(after=timedelta(0))
            listed = await client.get("/handoffs")
            assert f"#{waiting.session_id}" in listed.text  # the web visitor's ticket is listed
            sent = await client.post(
                f"/handoffs/{waiting.session_id}/reply", data={"csrf": csrf, "text": AGENT_TEXT}
            )
            assert sent.status_code == 303, sent.text
    agent = log.locator(".m.agent")
    await expect(agent).to_have_count(2, timeout=10_000)  # "You are now talking to …", the reply
    await expect(agent.last).to_contain_text(AGENT_TEXT)
    await expect(log.locator(".m.bot")).to_have_count(1)  # the restarted reply still once


async def _login(client: httpx.AsyncClient, console: ConsoleServices) -> str:
    link = await console.logins.issue_link(ADMIN)
    response = await client.post("/login", data={"token": link.rsplit("/", 1)[1]})
    assert response.status_code == 303, response.text
    match = CSRF.search((await client.get("/faq")).text)
    assert match
    return match.group(1)
