"""Templates and the pages every view shares (messages, flash notes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
FLASH = "flash"


def flash(request: Request, text: str) -> None:
    """A one-line note shown on the next page (after a redirect)."""
    request.session.setdefault(FLASH, []).append(text)


def page(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    """Render a template with what every page needs (admin, CSRF token, flash notes)."""
    values: dict[str, Any] = {
        "admin": request.session.get("admin"),
        "csrf": request.session.get("csrf", ""),
        "notes": request.session.pop(FLASH, []) if "session" in request.scope else [],
        "path": request.url.path,
    }
    values.update(context or {})
    return templates.TemplateResponse(request, name, values, status_code=status)


def message_page(request: Request, title: str, text: str, status: int = 200) -> Response:
    """A page with one clear message (refusals, errors, signed out)."""
    return page(request, "message.html", {"title": title, "text": text}, status=status)
