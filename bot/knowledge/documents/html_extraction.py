"""The main content of an HTML page as Markdown, without navigation, footers, cookie banners
or scripts.

trafilatura does the work (chosen by measurement over readability-lxml + markdownify and
jusText on 36 pages: mdBook, Node.js and npm documentation and help-centre pages with every
kind of boilerplate; see docs/knowledge.md): it keeps headings, lists, tables and code blocks
as Markdown. Below 250 characters of main content trafilatura falls back to the page's whole
text (menus included), so a short page is read again with the size floor lowered: a
one-paragraph answer page keeps its paragraph and still loses its menus. (Lowering the floor
for every page cost recall on long pages: Node.js API pages 0.89 -> 0.84 token F1.)
"""

from __future__ import annotations

import html as html_entities
import re
from configparser import ConfigParser
from functools import cache

_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_SITE_SUFFIX = re.compile(r"\s+[|–—·»-]\s+")  # "Refunds | Acme Help" -> "Refunds"
_FIRST_HEADING = re.compile(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", re.M)
_SHORT_PAGE_CHARS = 250  # trafilatura's MIN_EXTRACTED_SIZE
_EXTRACT_OPTIONS: dict[str, object] = {
    "output_format": "markdown",
    "include_tables": True,
    "include_formatting": True,
    "include_links": False,
    "include_images": False,
    "include_comments": False,
    "deduplicate": False,
}


def html_to_markdown(page: str) -> tuple[str, str]:
    """``(title, markdown)`` of a page: its first top-level heading (else its <title>) and its
    main content; both empty when the page has no text."""
    import trafilatura

    markdown = trafilatura.extract(page, **_EXTRACT_OPTIONS) or ""
    if len(markdown) < _SHORT_PAGE_CHARS:
        markdown = trafilatura.extract(page, config=_short_page_config(), **_EXTRACT_OPTIONS) or ""
    heading = _FIRST_HEADING.search(markdown)
    return (heading.group(1).strip() if heading else _title_tag(page)), markdown


@cache
def _short_page_config() -> ConfigParser:
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    return config


def _title_tag(page: str) -> str:
    found = _TITLE_TAG.search(page)
    if not found:
        return ""
    title = " ".join(html_entities.unescape(found.group(1)).split())
    return _SITE_SUFFIX.split(title, maxsplit=1)[0] or title
