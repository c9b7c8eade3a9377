"""A help-centre website on 127.0.0.1 for ``bench.documents``: the generated articles as HTML
pages with a site's navigation, cookie banner and footer around them, a ``sitemap.xml`` and a
``robots.txt`` (which keeps the crawler out of ``/private/``), served by a threaded
``http.server`` from memory on a thread of its own.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.documents_corpus import Article

NAV = (
    '<header><nav class="site-nav"><a href="/">Home</a> <a href="/help/">Help centre</a> '
    '<a href="/pricing">Pricing</a> <a href="/private/drafts">Drafts</a> '
    '<a href="/contact">Contact us</a></nav></header>'
    '<div class="cookie-banner">We use cookies to improve your experience. '
    "<button>Accept all</button> <button>Manage preferences</button></div>"
)
FOOTER = (
    "<footer><p>© 2026 Example Devices Ltd. All rights reserved.</p>"
    '<ul><li><a href="/terms">Terms of service</a></li><li><a href="/privacy">Privacy</a></li>'
    '<li><a href="/status">System status</a></li></ul></footer>'
    "<script>window.analytics = {track: function () {}};</script>"
)


def markdown_to_html(markdown: str) -> str:
    """The generated articles' Markdown as HTML (headings, paragraphs, lists, one table)."""
    out: list[str] = []
    open_list = ""
    for line in markdown.splitlines():
        kind = _line_kind(line)
        if open_list and kind != open_list:
            out.append(f"</{open_list}>")
            open_list = ""
        if kind in ("ul", "ol"):
            if not open_list:
                out.append(f"<{kind}>")
                open_list = kind
            out.append(f"<li>{html.escape(line.split(' ', 1)[1])}</li>")
        elif kind == "table":
            out.append(_table_row(line))
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{html.escape(line[level:].strip())}</h{level}>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    if open_list:
        out.append(f"</{open_list}>")
    return _wrap_tables("\n".join(out))


def _line_kind(line: str) -> str:
    if line.startswith("- "):
        return "ul"
    if line[:1].isdigit() and ". " in line[:4]:
        return "ol"
    if line.startswith("|"):
        return "table"
    return ""


def _table_row(line: str) -> str:
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    if all(set(cell) <= {"-"} for cell in cells):
        return ""
    return "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>"


def _wrap_tables(body: str) -> str:
    lines, out, in_table = body.split("\n"), [], False
    for line in lines:
        row = line.startswith("<tr>")
        if row and not in_table:
            out.append("<table>")
        if not row and in_table:
            out.append("</table>")
        in_table = row
        if line:
            out.append(line)
    if in_table:
        out.append("</table>")
    return "\n".join(out)


def page_html(article: Article) -> str:
    """One article as a page of the site, with the site's boilerplate around it."""
    return (
        f"<!doctype html><html><head><title>{html.escape(article.title)} | Example Help"
        f"</title></head><body>{NAV}<main><article>{markdown_to_html(article.markdown)}"
        f"</article></main>{FOOTER}</body></html>"
    )


def site_files(articles: Sequence[Article], base: str) -> dict[str, tuple[str, bytes]]:
    """Path -> (content type, body) of every page, the sitemap and robots.txt."""
    files: dict[str, tuple[str, bytes]] = {}
    for article in articles:
        files[f"/help/{article.name}"] = ("text/html; charset=utf-8", page_html(article).encode())
    urls = "".join(f"<url><loc>{base}{path}</loc></url>" for path in files)
    sitemap = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    )
    files["/sitemap.xml"] = ("application/xml", sitemap.encode())
    robots = f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap.xml\n"
    files["/robots.txt"] = ("text/plain", robots.encode())
    return files


@contextmanager
def serve_site(articles: Sequence[Article]) -> Iterator[tuple[str, int]]:
    """Serve the site on 127.0.0.1 (a free port); yields (base URL, bytes of the pages)."""
    files: dict[str, tuple[str, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = files.get(self.path.split("?", 1)[0])
            if found is None:
                self.send_error(404)
                return
            content_type, body = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    files.update(site_files(articles, base))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        pages = sum(len(body) for path, (_, body) in files.items() if path.startswith("/help/"))
        yield base, pages
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
