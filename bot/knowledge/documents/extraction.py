"""Articles out of files and fetched pages: Markdown, HTML, plain text and PDF, as Markdown.

An ``Article`` is what the chunker reads (``chunking.chunk_markdown``): a title, the text as
Markdown and the address it came from. HTML loses its navigation, footers, cookie banners and
scripts here (``html_extraction.py``); PDF text comes out of ``pdf_extraction.py``. Anything
that cannot be read raises ``ExtractionError`` with a one-line reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.documents.html_extraction import html_to_markdown
from bot.knowledge.documents.pdf_extraction import PdfError, pdf_text

_FIRST_TITLE = re.compile(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", re.M)
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
TEXT_SUFFIXES = frozenset({".txt"})
PDF_SUFFIXES = frozenset({".pdf"})
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | HTML_SUFFIXES | TEXT_SUFFIXES | PDF_SUFFIXES


class ExtractionError(ValueError):
    """A document that could not be read: unreadable, of an unsupported type, or empty."""


@dataclass(frozen=True, slots=True)
class Article:
    """One article as the chunker reads it."""

    title: str
    markdown: str  # the article as Markdown (what chunk_markdown reads)
    url: str | None  # None for a local file


def article_from_markdown(text: str, *, name: str, url: str | None = None) -> Article:
    """A Markdown article; its title is its first "# " heading, else ``name``."""
    markdown = _normalised(text)
    _require_text(markdown, name)
    heading = _FIRST_TITLE.search(markdown)
    title = heading.group(1).strip() if heading else _title_from_name(name)
    return Article(title=title, markdown=markdown, url=url)


def article_from_text(text: str, *, name: str, url: str | None = None) -> Article:
    """A plain-text article, titled by ``name``; the chunker repairs its line breaks."""
    markdown = _normalised(text)
    _require_text(markdown, name)
    return Article(title=_title_from_name(name), markdown=markdown, url=url)


def article_from_html(html: str, *, url: str | None = None, name: str = "") -> Article:
    """The main content of an HTML page as Markdown, titled by its first heading or <title>."""
    title, markdown = html_to_markdown(html)
    markdown = _normalised(markdown)
    _require_text(markdown, name or url or "page")
    heading = _FIRST_TITLE.search(markdown)
    title = title or (heading.group(1).strip() if heading else _title_from_name(name or url or ""))
    return Article(title=title, markdown=markdown, url=url)


def article_from_pdf(data: bytes, *, name: str, url: str | None = None) -> Article:
    """A PDF's text (page by page), titled by its metadata title, else ``name``."""
    try:
        title, text = pdf_text(data)
    except PdfError as error:
        raise ExtractionError(f"{name}: {error}") from error
    markdown = _normalised(text)
    _require_text(markdown, name)
    return Article(title=title or _title_from_name(name), markdown=markdown, url=url)


def article_from_file(path: Path) -> Article:
    """A local file, read by its suffix (.md/.markdown, .html/.htm, .pdf, .txt)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ExtractionError(f"{path.name}: unsupported file type {suffix or '(none)'}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ExtractionError(f"{path.name}: unreadable ({error.strerror or error})") from error
    if suffix in PDF_SUFFIXES:
        return article_from_pdf(data, name=path.name)
    text = _decoded(data, path.name)
    if suffix in HTML_SUFFIXES:
        return article_from_html(text, name=path.name)
    if suffix in MARKDOWN_SUFFIXES:
        return article_from_markdown(text, name=path.name)
    return article_from_text(text, name=path.name)


def article_from_response(body: bytes, content_type: str, *, url: str) -> Article:
    """A fetched page, read by its Content-Type (the URL's suffix when the type is vague)."""
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    charset = _charset(parameters)
    suffix = Path(url.split("?", 1)[0].split("#", 1)[0]).suffix.lower()
    name = url.rstrip("/").rsplit("/", 1)[-1] or url
    if media_type == "application/pdf" or (not media_type and suffix in PDF_SUFFIXES):
        return article_from_pdf(body, name=name, url=url)
    if media_type in ("text/html", "application/xhtml+xml"):
        return article_from_html(_decoded(body, url, charset), url=url, name=name)
    if media_type in ("text/markdown", "text/x-markdown") or suffix in MARKDOWN_SUFFIXES:
        return article_from_markdown(_decoded(body, url, charset), name=name, url=url)
    if media_type == "text/plain":
        return article_from_text(_decoded(body, url, charset), name=name, url=url)
    if suffix in HTML_SUFFIXES or (not media_type and body.lstrip()[:1] == b"<"):
        return article_from_html(_decoded(body, url, charset), url=url, name=name)
    raise ExtractionError(f"{url}: unsupported content type {media_type or '(none)'}")


def _charset(parameters: str) -> str | None:
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def _decoded(data: bytes, name: str, charset: str | None = None) -> str:
    """Bytes as text: the declared charset, else UTF-8 (with or without BOM), else Latin-1."""
    for encoding in (charset, "utf-8-sig"):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    if b"\x00" in data[:1024]:
        raise ExtractionError(f"{name}: unreadable (binary data, not text)")
    return data.decode("latin-1")


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def _require_text(markdown: str, name: str) -> None:
    if not any(char.isalnum() for char in markdown):
        raise ExtractionError(f"{name}: empty (no text found)")


def _title_from_name(name: str) -> str:
    """A readable title from a file name: "night-mode_settings.md" -> "Night mode settings"."""
    stem = Path(name).stem if "." in Path(name).name else Path(name).name
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else name
