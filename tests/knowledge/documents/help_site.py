"""A help centre served on 127.0.0.1 by the standard library's HTTP server, in a thread.

Tests change ``pages`` between syncs (edit, delete, break a page) and read ``requested`` to see
what a sync fetched. Any path not in ``pages`` answers 404.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(slots=True)
class Response:
    body: str | bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200


@dataclass(slots=True)
class HelpSite:
    base: str = ""
    pages: dict[str, Response] = field(default_factory=dict)
    requested: list[str] = field(default_factory=list)

    def html(self, path: str, title: str, body: str, links: tuple[str, ...] = ()) -> None:
        """Serve an HTML article at ``path`` with a navigation bar of ``links``."""
        nav = "".join(f'<a href="{link}">{link}</a> ' for link in links)
        self.pages[path] = Response(
            f"<html><head><title>{title}</title></head><body><nav>{nav}</nav>"
            f"<main><h1>{title}</h1>{body}</main><footer>© Example TV</footer></body></html>"
        )

    def sitemap(self, paths: list[str]) -> None:
        """Serve /sitemap.xml listing ``paths``."""
        urls = "".join(f"<url><loc>{self.base}{path}</loc></url>" for path in paths)
        self.pages["/sitemap.xml"] = Response(
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
            "application/xml",
        )


def _handler(site: HelpSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requested.append(self.path)
            page = site.pages.get(self.path, Response("not here", "text/plain", 404))
            body = page.body.encode() if isinstance(page.body, str) else page.body
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@contextmanager
def help_site() -> Iterator[HelpSite]:
    """A running help site on a free port of 127.0.0.1."""
    site = HelpSite()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
