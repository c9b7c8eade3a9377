"""``DocumentLibrary.add``/``sync`` against a help centre served on 127.0.0.1: unchanged pages
skipped, changed ones re-chunked, gone ones removed, a failing page keeping its last passages;
robots.txt, the host and the page limit respected by the crawl."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.knowledge.documents.library import DocumentLibrary
from bot.knowledge.ranking.index import FaqIndex
from tests.knowledge.documents.help_site import HelpSite, Response, help_site

WORDS = {
    "/a.html": "Antenna setup: connect the aerial cable to the ANT IN socket before scanning.",
    "/b.html": "Bluetooth pairing: hold the Home button for five seconds to pair a soundbar.",
    "/c.html": "Child lock: enter the PIN 0000 to block channels for children.",
    "/d.html": "Dolby audio: choose Sound, then Expert settings, then Dolby Atmos.",
    "/e.html": "Energy saving: the panel switches off after four hours without a key press.",
}


def texts_in(library: DocumentLibrary) -> str:
    return "\n".join(doc.answer for doc in library.index.documents())


@pytest.fixture
async def library(session_factory: async_sessionmaker[AsyncSession]) -> DocumentLibrary:
    library = DocumentLibrary(session_factory, FaqIndex(None))
    await library.load()
    return library


def serve_articles(site: HelpSite, paths: list[str]) -> None:
    for path in paths:
        site.html(path, path.strip("/").split(".")[0].upper(), f"<p>{WORDS[path]}</p>")


async def test_sync_skips_unchanged_rechunks_changed_removes_gone_keeps_failing(
    library: DocumentLibrary,
) -> None:
    with help_site() as site:
        site.pages["/robots.txt"] = Response("User-agent: *\nDisallow: /private/\n", "text/plain")
        serve_articles(site, list(WORDS))
        site.html("/private/p.html", "P", "<p>Private notes nobody should index.</p>")
        site.sitemap([*WORDS, "/private/p.html"])

        first = await library.add(f"{site.base}/sitemap.xml")
        assert (first.added, first.failed) == (5, 0)
        assert "/private/p.html" not in site.requested  # robots.txt respected
        assert "PIN 0000" in texts_in(library)

        site.html("/b.html", "B", "<p>Bluetooth pairing: hold the Back button to pair.</p>")
        del site.pages["/c.html"]  # still listed, answers 404
        site.sitemap(["/a.html", "/b.html", "/c.html", "/e.html"])  # d no longer listed
        site.pages["/e.html"] = Response("overloaded", "text/plain", 503)

        again = await library.sync()
        assert (again.added, again.changed, again.unchanged) == (0, 1, 1)
        assert (again.removed, again.failed) == (2, 1)
        assert again.failures == [(f"{site.base}/e.html", "HTTP 503")]
        text = texts_in(library)
        assert "Back button" in text and "Home button" not in text
        assert "PIN 0000" not in text and "Dolby Atmos" not in text
        assert "four hours" in text  # the failing page keeps its last good passages
        [source] = await library.sources()
        assert (source.articles, source.failing, source.last_error) == (3, 1, None)

        serve_articles(site, ["/e.html"])
        healed = await library.sync(source.id)
        assert (healed.unchanged, healed.failed) == (3, 0)
        assert (await library.sources())[0].failing == 0


async def test_crawl_stays_on_the_host_under_the_start_folder_and_within_the_limit(
    library: DocumentLibrary,
) -> None:
    with help_site() as site:
        site.pages["/robots.txt"] = Response(
            "User-agent: supportbot\nDisallow: /help/x", "text/plain"
        )
        links = ("/help/a", "/help/b", "/help/xsecret", "/shop/cart", "http://example.invalid/z")
        site.html("/help/", "Help", "<p>Welcome to the help centre of the TV.</p>", links)
        site.html("/help/a", "A", f"<p>{WORDS['/a.html']}</p>", ("/help/b", "/help/c"))
        site.html("/help/b", "B", f"<p>{WORDS['/b.html']}</p>")
        site.html("/help/c", "C", f"<p>{WORDS['/c.html']}</p>")
        site.html("/help/xsecret", "X", "<p>Hidden by robots.</p>")
        site.html("/shop/cart", "Cart", "<p>Not help.</p>")

        report = await library.add(f"{site.base}/help/")
        assert (report.added, report.failed) == (4, 0)
        assert "/help/xsecret" not in site.requested and "/shop/cart" not in site.requested

        [source] = await library.sources()
        titles = {article.location for article in await library.articles(source.id)}
        assert titles == {f"{site.base}/help/{p}" for p in ("", "a", "b", "c")}

        await library.remove(source.id)
        limited = await library.add(f"{site.base}/help/", max_pages=2)
        assert limited.added == 2


async def test_unreadable_robots_removes_nothing(library: DocumentLibrary) -> None:
    with help_site() as site:
        serve_articles(site, ["/a.html"])
        site.sitemap(["/a.html"])
        await library.add(f"{site.base}/sitemap.xml")

        site.pages["/robots.txt"] = Response("down", "text/plain", 500)
        fresh = DocumentLibrary(library.session_factory, FaqIndex(None))  # robots not cached
        await fresh.load()
        report = await fresh.sync()
        assert (report.removed, report.failed) == (0, 1)
        [source] = await fresh.sources()
        assert source.articles == 1 and "robots.txt: HTTP 500" in (source.last_error or "")


async def test_a_single_page_that_goes_away(library: DocumentLibrary) -> None:
    with help_site() as site:
        serve_articles(site, ["/d.html"])
        assert (await library.add(f"{site.base}/d.html")).added == 1
        [source] = await library.sources()
        assert source.kind == "url"
        site.pages["/d.html"] = Response("gone", "text/plain", 410)
        assert (await library.sync()).removed == 1
        assert len(library.index) == 0
