"""What every web chat response passes: the origin check (CORS) and the security headers.

Browsers send ``Origin`` with every cross-origin request (and with same-origin POSTs); a page
whose origin is not in ``SUPPORTBOT_WIDGET_ORIGINS`` is refused with 403 before any handler
runs, and an allowed one gets exactly its own origin back in ``Access-Control-Allow-Origin``
(no credentials: the widget uses no cookies, its token travels in a header or the stream's
URL). Everything we serve carries a Content-Security-Policy that allows nothing: the script
runs under the shop page's policy, and our JSON and event streams need none.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "cross-origin",  # the shop's page loads widget.js
}
PREFLIGHT_HEADERS = {
    "access-control-allow-methods": "GET, POST",
    "access-control-allow-headers": "Authorization, Content-Type, Last-Event-ID",
    "access-control-max-age": "600",
}


def origin_allowed(origin: str, allowed: tuple[str, ...]) -> bool:
    return "*" in allowed or origin.rstrip("/") in allowed


class Guard:
    """ASGI middleware: refuse unknown origins, answer preflights, add the headers."""

    def __init__(self, app: ASGIApp, allowed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        origin = request.headers.get("origin")
        extra = dict(SECURITY_HEADERS)
        if origin is not None and request.url.path != "/widget.js":
            if not origin_allowed(origin, self.allowed):
                refused = JSONResponse({"error": "origin not allowed"}, 403, headers=extra)
                await refused(scope, receive, send)
                return
            extra |= {"access-control-allow-origin": origin, "vary": "Origin"}
        if request.method == "OPTIONS":
            await Response(status_code=204, headers=extra | PREFLIGHT_HEADERS)(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in extra.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
