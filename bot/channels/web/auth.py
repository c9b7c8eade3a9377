"""Sign-in, rights and CSRF for every console page.

A one-time link (``/login/<token>``) shows a confirm button (so a link preview or prefetch does
not burn it); the POST redeems it and starts a session: a signed, HttpOnly, SameSite=Strict
cookie with an expiry (Starlette's SessionMiddleware, configured in ``app.py``) holding the
admin's id and a random CSRF token. ``admin_page`` guards every page: no session -> 401, an id
no longer in ``SUPPORTBOT_ADMIN_IDS`` -> 403, and a POST without the session's CSRF token
(form field ``csrf`` or header ``X-CSRF-Token``) -> 403 before the handler runs, so nothing is
changed.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.admin.console_logins import LoginRefused
from bot.channels.web.rendering import message_page, page
from bot.channels.web.services import ConsoleServices

Handler = Callable[[Request], Awaitable[Response]]
SESSION_ADMIN = "admin"
SESSION_CSRF = "csrf"
MAX_FIELD_BYTES = 8 * 1024 * 1024


def services(request: Request) -> ConsoleServices:
    return request.app.state.console  # type: ignore[no-any-return]


def admin_id(request: Request) -> int:
    """The signed-in admin (only called behind ``admin_page``)."""
    return int(request.session[SESSION_ADMIN])


def csrf_token(request: Request) -> str:
    return str(request.session.get(SESSION_CSRF, ""))


async def _csrf_ok(request: Request) -> bool:
    expected = csrf_token(request)
    given = request.headers.get("x-csrf-token")
    if given is None:
        # Read (and cached for the handler) here first: an import's confirm form carries the
        # previewed file in a field, larger than Starlette's 1 MB default for one field.
        form = await request.form(max_part_size=MAX_FIELD_BYTES)
        value = form.get("csrf")
        given = value if isinstance(value, str) else None
    return bool(expected) and given is not None and hmac.compare_digest(expected, given)


def admin_page(handler: Handler) -> Handler:
    """Only signed-in admins; every POST must carry the session's CSRF token."""

    @functools.wraps(handler)
    async def guarded(request: Request) -> Response:
        signed_in = request.session.get(SESSION_ADMIN)
        if signed_in is None:
            return message_page(
                request,
                "Please sign in",
                "Get a one-time login link with /console in your private chat with the bot, "
                "or `supportbot console-link ADMIN_ID` on the server.",
                status=401,
            )
        if not services(request).logins.is_admin(int(signed_in)):
            request.session.clear()
            return message_page(
                request, "Not an administrator", "This account may not use the console.", 403
            )
        if request.method == "POST" and not await _csrf_ok(request):
            return message_page(
                request,
                "Request refused",
                "The form's security token (CSRF) is missing or wrong, so nothing was changed. "
                "Reload the page and try again.",
                status=403,
            )
        return await handler(request)

    return guarded


async def login_form(request: Request) -> Response:
    """GET /login/<token>: check the link, then ask to confirm (prefetch-safe)."""
    token = request.path_params["token"]
    try:
        who, _ = services(request).logins.check(token)
    except LoginRefused as refused:
        return message_page(request, "Cannot sign in", refused.reason, status=403)
    return page(request, "login.html", {"token": token, "who": who})


async def login(request: Request) -> Response:
    """POST /login: redeem the one-time link and start the session."""
    form = await request.form()
    token = form.get("token")
    try:
        if not isinstance(token, str):
            raise LoginRefused("This login link is not valid.")
        who = await services(request).logins.redeem(token)
    except LoginRefused as refused:
        return message_page(request, "Cannot sign in", refused.reason, status=403)
    request.session.clear()
    request.session[SESSION_ADMIN] = who
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return RedirectResponse("/faq", status_code=303)


@admin_page
async def logout(request: Request) -> Response:
    """POST /logout: end the session."""
    request.session.clear()
    return message_page(request, "Signed out", "You are signed out of the console.")
