"""The widget in a real browser: Playwright drives Debian's headless chromium against a sample
shop page served on another port of 127.0.0.1, with the web chat beside it. One browser, one
walk (kept lean): open with the keyboard, ask, see the streamed answer, "More", "did you mean",
reload and see the conversation, close with Escape, and a page from another origin refused."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import open_app
from bot.channels.webchat import serving_webchat
from bot.config import Settings
from bot.engine.fake import FakeEngine
from tests.channels.webchat.conftest import QUESTION
from tests.channels.webchat.shop_site import CHROMIUM, serving, shop

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not installed (apt-get install chromium): browser tests skipped",
)


async def test_a_visitor_asks_on_the_shop_page(web_settings: Settings) -> None:
    chat_url: list[str] = []
    async with serving(shop(chat_url)) as shop_url, serving(shop(chat_url)) as other_url:
        settings = web_settings.model_copy(update={"widget_origins": [shop_url]})
        async with (
            open_app(settings, engine=FakeEngine()) as app,
            serving_webchat(app, settings) as (_, port),
        ):
            chat_url.append(f"http://127.0.0.1:{port}")
            async with playwright_api.async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox"]
                )
                try:
                    await _walk(browser, shop_url, other_url)
                finally:
                    await browser.close()


async def _walk(browser: Any, shop_url: str, other_url: str) -> None:
    expect = playwright_api.expect
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(shop_url)
    launcher = page.get_by_role("button", name="Acme help")
    # The shop's own `button { background: red !important }` cannot reach into the widget.
    colour = await launcher.evaluate("b => getComputedStyle(b).backgroundColor")
    assert colour == "rgb(11, 83, 148)"
    await page.keyboard.press("Tab")  # keyboard only: to the launcher, open, type, send
    await expect(launcher).to_be_focused()
    await page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Your message")
    await expect(box).to_be_focused()
    await page.keyboard.type("my order")
    await page.keyboard.press("Enter")
    log = page.get_by_role("log")
    offer = log.locator(".m.bot").first
    await expect(offer).to_contain_text("Did you mean", timeout=10_000)
    pick = offer.locator(".row button").first  # "did you mean": reached and pressed by keyboard
    for _ in range(8):  # back from the message box through the log's buttons
        if await pick.evaluate("b => b.getRootNode().activeElement === b"):
            break
        await page.keyboard.press("Shift+Tab")
    await expect(pick).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(log.locator(".m.bot")).to_have_count(2, timeout=10_000)
    await box.fill(QUESTION)
    await box.press("Enter")
    answer = log.locator(".m.bot").nth(2)
    await expect(answer).to_contain_text("business days", timeout=10_000)
    more = page.get_by_role("button", name="More", exact=True)
    await expect(more).to_have_count(1)
    await more.click()
    await expect(more).to_have_count(0)
    await expect(answer).to_contain_text("warehouse")
    menu = page.get_by_role("button", name="Menu")  # the menu by keyboard: Escape closes it
    await menu.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator(".menu button").first).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(menu).to_be_focused()
    await expect(menu).to_have_attribute("aria-expanded", "false")
    await page.keyboard.press("Escape")
    await expect(launcher).to_be_focused()
    await expect(launcher).to_have_attribute("aria-expanded", "false")

    await page.reload()  # the conversation survives a reload
    await page.get_by_role("button", name="Acme help").click()
    await expect(page.get_by_role("log").locator(".m.you").last).to_have_text(
        "You: " + QUESTION, timeout=10_000
    )
    await expect(page.get_by_role("log").locator(".m.bot")).to_have_count(3)
    assert errors == []

    other = await browser.new_page()  # a page on an origin that is not allowed
    await other.goto(other_url)
    async with other.expect_event(
        "requestfailed", lambda r: r.url.endswith("/api/visitor")
    ) as refused:  # the CORS check fails: the browser never gets a visitor token
        await other.get_by_role("button", name="Acme help").click()
        await other.get_by_role("textbox", name="Your message").fill(QUESTION)
        await other.get_by_role("textbox", name="Your message").press("Enter")
    assert (await refused.value).failure is not None
    await expect(other.get_by_role("log").locator(".m.you.wait")).to_have_count(1)
    await expect(other.get_by_role("log").locator(".m.bot")).to_have_count(0)
