"""Articles out of Markdown, HTML (boilerplate stripped), plain text and PDF files and responses."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from bot.knowledge.documents.chunking import chunk_markdown
from bot.knowledge.documents.extraction import (
    ExtractionError,
    article_from_file,
    article_from_html,
    article_from_markdown,
    article_from_pdf,
    article_from_response,
    article_from_text,
)

HELP_PAGE = """<!doctype html><html><head><title>Night mode | Acme Help</title>
<script>window.dataLayer = []; function gtag(){dataLayer.push(arguments)}</script>
<style>.banner { color: red }</style></head><body>
<header><a href="/">Acme Help Centre</a><nav><a href="/p">Products</a>
<a href="/c">Contact sales</a> <a href="/s">Sign in to your account</a></nav></header>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
<button>Accept all cookies</button></div>
<main><article><h1>Night mode</h1>
<p>Night mode dims the screen after sunset so that the picture is easier on your eyes.</p>
<h2>Turning it on</h2><ol><li>Open <b>Settings</b> and choose Display.</li>
<li>Select Night mode and press OK.</li></ol>
<h2>Schedules</h2><table><tr><th>Schedule</th><th>When it starts</th></tr>
<tr><td>Automatic</td><td>At sunset in your region</td></tr>
<tr><td>Manual</td><td>At the hour you choose</td></tr></table>
<h3>From the command line</h3><pre><code>acme-cli set night-mode --on
acme-cli status</code></pre>
<p>Contact support if the option does not appear after a software update.</p>
</article></main>
<aside><h3>Related articles</h3><ul><li><a href="/r">Resetting your password</a></li></ul></aside>
<footer><p>© 2026 Acme Corporation. All rights reserved.</p>
<a href="/t">Terms of service</a></footer>
<script src="/app.js"></script></body></html>"""


def _pdf(*pages: list[str], title: str | None = None) -> bytes:
    """A PDF with one page per list of lines, written with pypdf."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    resources = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    for lines in pages:
        page = writer.add_blank_page(width=612, height=792)
        page[NameObject("/Resources")] = resources
        shown = " ".join(f"({line}) Tj 0 -16 Td" for line in lines)
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td {shown} ET".encode("cp1252"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    if title:
        writer.add_metadata({"/Title": title})
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def test_html_keeps_the_article_and_drops_navigation_footer_cookies_and_scripts() -> None:
    article = article_from_html(HELP_PAGE, url="https://help.example/night-mode")
    assert article.title == "Night mode"
    assert article.url == "https://help.example/night-mode"
    markdown = article.markdown
    for kept in ("dims the screen after sunset", "## Turning it on", "1. Open **Settings**"):
        assert kept in markdown
    assert "| Automatic | At sunset in your region |" in markdown.replace(" \n", "\n")
    assert "```\nacme-cli set night-mode --on\nacme-cli status\n```" in markdown
    for dropped in ("Contact sales", "cookies", "gtag", "All rights reserved", "Related articles"):
        assert dropped not in markdown, dropped
    assert "## Schedules" in markdown and "### From the command line" in markdown
    chunks = chunk_markdown(markdown, title=article.title, max_words=20)
    assert ("Schedules", "From the command line") in [chunk.heading_path for chunk in chunks]
    assert sum("acme-cli status\n```" in chunk.text for chunk in chunks) == 1


def test_a_short_html_page_keeps_its_paragraph_without_its_menu() -> None:
    page = (
        "<html><head><title>Refunds | Acme</title></head><body><nav><a>Home</a> <a>Shop</a></nav>"
        "<main><p>Refunds reach your card within five working days.</p></main>"
        "<footer>© Acme</footer></body></html>"
    )
    article = article_from_html(page, name="refunds.html")
    assert article.markdown == "Refunds reach your card within five working days."
    assert article.title == "Refunds"


def test_markdown_title_is_its_first_heading_else_the_file_name() -> None:
    assert article_from_markdown("# Returns\n\nText.", name="x.md").title == "Returns"
    assert article_from_markdown("Text only.", name="refund-times.md").title == "Refund times"


def test_text_and_empty_documents() -> None:
    article = article_from_text("Opening hours\n\nWe open at nine.", name="hours_info.txt")
    assert (article.title, article.markdown, article.url) == (
        "Hours info",
        "Opening hours\n\nWe open at nine.",
        None,
    )
    with pytest.raises(ExtractionError, match="empty"):
        article_from_text(" \n\n ", name="blank.txt")
    with pytest.raises(ExtractionError, match="empty"):
        article_from_html("<html><body><script>x = 1</script></body></html>", name="s.html")


def test_pdf_text_and_title() -> None:
    data = _pdf(["Pairing the remote", "Hold both buttons for three seconds."], title="Remote")
    article = article_from_pdf(data, name="remote.pdf")
    assert article.title == "Remote"
    assert "Pairing the remote" in article.markdown
    assert "Hold both buttons for three seconds." in article.markdown
    assert article_from_pdf(_pdf(["# not a heading"]), name="a.pdf").markdown == "\\# not a heading"


def test_pdf_pages_lose_running_headers_and_page_numbers() -> None:
    bodies = [
        ["Point the remote at the TV.", "Hold both buttons.", "Wait for the light."],
        ["The light blinks twice.", "Pairing is then done.", "You can let go."],
        ["A paired remote works at once.", "Batteries last a year.", "Replace them in pairs."],
    ]
    pages = [
        ["TV Manual", f"Chapter {n}: Remote control {n + 10}", *body, str(n + 10)]
        for n, body in enumerate(bodies, start=1)
    ]
    pages[1][3:3] = ["\u2022 Press OK", "to confirm."]
    markdown = article_from_pdf(_pdf(*pages), name="manual.pdf").markdown
    expected = [*bodies[0], bodies[1][0], "- Press OK", "to confirm.", *bodies[1][1:], *bodies[2]]
    assert markdown.split("\n") == expected


def test_files_are_read_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text("# Guide\n\nStep one.", encoding="utf-8")
    (tmp_path / "page.htm").write_text(HELP_PAGE, encoding="utf-8")
    (tmp_path / "notes.txt").write_bytes("Caf\xe9 opens at nine.".encode("cp1252"))
    (tmp_path / "remote.pdf").write_bytes(_pdf(["Hold both buttons."]))
    (tmp_path / "sheet.xlsx").write_bytes(b"PK")
    assert article_from_file(tmp_path / "guide.md").title == "Guide"
    assert article_from_file(tmp_path / "page.htm").title == "Night mode"
    assert article_from_file(tmp_path / "notes.txt").markdown == "Café opens at nine."
    assert "Hold both buttons." in article_from_file(tmp_path / "remote.pdf").markdown
    with pytest.raises(ExtractionError, match=r"unsupported file type \.xlsx"):
        article_from_file(tmp_path / "sheet.xlsx")
    with pytest.raises(ExtractionError, match="unreadable"):
        article_from_file(tmp_path / "missing.md")


def test_responses_are_read_by_content_type() -> None:
    url = "https://help.example/articles/night-mode"
    html = article_from_response(HELP_PAGE.encode(), "text/html; charset=utf-8", url=url)
    assert (html.title, html.url) == ("Night mode", url)
    text = article_from_response(
        "Prix: 5 €".encode("cp1252"), "text/plain; charset=cp1252", url=url
    )
    assert text.markdown == "Prix: 5 €"
    pdf = article_from_response(_pdf(["Warranty terms."]), "application/pdf", url=url + ".pdf")
    assert "Warranty terms." in pdf.markdown
    markdown = article_from_response(b"# Shipping\n\nTwo days.", "text/markdown", url=url)
    assert markdown.title == "Shipping"
    with pytest.raises(ExtractionError, match="unsupported content type image/png"):
        article_from_response(b"\x89PNG", "image/png", url=url)
