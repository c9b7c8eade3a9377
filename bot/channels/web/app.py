"""The console's ASGI app: routes, the signed session cookie, security headers, static files."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.admin.console_logins import console_secret
from bot.channels.web import (
    conversation_pages,
    documents_pages,
    faq_pages,
    inbox_pages,
    quality_pages,
)
from bot.channels.web.auth import login, login_form, logout
from bot.channels.web.rendering import HERE
from bot.channels.web.services import ConsoleServices

COOKIE = "supportbot_console"
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # login links carry a token in their path
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """Adds the headers above to every response (pure ASGI, so streaming stays untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def home(request: Request) -> Response:
    return RedirectResponse("/faq", status_code=303)


def routes() -> list[Route | Mount]:
    return [
        Route("/", home),
        Route("/login/{token}", login_form),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        *faq_pages.routes(),
        *documents_pages.routes(),
        *inbox_pages.routes(),
        *conversation_pages.routes(),
        *quality_pages.routes(),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_app(console: ConsoleServices) -> Starlette:
    """The console app over ``console``'s services."""
    settings = console.settings
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=console_secret(settings),
            session_cookie=COOKIE,
            max_age=settings.console_session_hours * 3600,
            same_site="strict",
            https_only=bool(settings.console_url and settings.console_url.startswith("https://")),
        ),
    ]
    app = Starlette(routes=routes(), middleware=middleware)
    app.state.console = console
    return app
