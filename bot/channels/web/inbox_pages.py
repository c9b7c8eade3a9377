"""The unanswered inbox: similar unanswered questions grouped, newest group first, each one
click away from a new entry (pre-filled) or from phrasings of an existing entry."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.service import AdminError
from bot.channels.web.auth import admin_id, admin_page, services
from bot.channels.web.rendering import flash, message_page, page
from bot.channels.web.services import author_of

SHOWN_GROUPS = 50
PREVIEWED_GROUPS = 10  # "what the bot answers now" for the newest groups only (one search each)


def new_entry_link(texts: list[str], message_ids: list[int]) -> str:
    """/faq/new pre-filled: the newest wording as the question, the others as phrasings."""
    query = [("question", texts[0]), *(("variant", text) for text in texts[1:])]
    query.append(("ids", ",".join(str(i) for i in message_ids)))
    return "/faq/new?" + urlencode(query)


@admin_page
async def unanswered(request: Request) -> Response:
    """GET /unanswered: the groups with counts and what the bot answers to them now."""
    console = services(request)
    groups = await console.queries.unanswered(console.admin)
    groups.sort(key=lambda group: max(group.message_ids), reverse=True)
    rows = []
    for number, group in enumerate(groups[:SHOWN_GROUPS]):
        now = console.preview.answer(group.text) if number < PREVIEWED_GROUPS else None
        link = new_entry_link(group.texts, group.message_ids)
        rows.append({"group": group, "now": now, "new_link": link})
    total = sum(group.size for group in groups)
    return page(request, "unanswered.html", {"rows": rows, "total": total})


def flash_answers_now(request: Request, questions: list[str]) -> None:
    """After a group is resolved: what the bot now answers to its questions."""
    preview = services(request).preview
    for question in questions[:5]:
        now = preview.answer(question)
        entry = f" entry #{now.entry_id}" if now.entry_id is not None else ""
        flash(request, f"Now “{question}” → {now.mode}{entry} ({now.confidence:.2f})")


@admin_page
async def attach(request: Request) -> Response:
    """POST /unanswered/attach: the group's questions become phrasings of entry N."""
    form = await request.form()
    ids_text, entry_text = form.get("ids"), form.get("entry_id")
    ids = [int(i) for i in str(ids_text or "").split(",") if i.strip().isdigit()]
    if not ids or not str(entry_text or "").strip().isdigit():
        return message_page(request, "Not added", "Pick an entry number for these questions.", 400)
    entry_id = int(str(entry_text).strip())
    try:
        await services(request).admin.resolve_as_variant(
            ids, entry_id, author=author_of(admin_id(request))
        )
    except AdminError as exc:
        return message_page(request, "Not added", str(exc), status=404)
    flash(request, f"Added {len(ids)} question(s) as phrasings of entry #{entry_id}.")
    flash_answers_now(request, [str(text) for text in form.getlist("text") if str(text).strip()])
    return RedirectResponse("/unanswered", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/unanswered", unanswered),
        Route("/unanswered/attach", attach, methods=["POST"]),
    ]
