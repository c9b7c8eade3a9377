"""FAQ pages: list with search and filters, edit with the answer preview, new entries,
delete (after a confirmation page), revisions with a side-by-side diff and rollback. Import
and export are in ``faq_files``."""

from __future__ import annotations

import asyncio

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.console_faq import FaqFilter
from bot.admin.faq_views import FaqEdit
from bot.admin.service import AdminError
from bot.channels.web import faq_files
from bot.channels.web.auth import admin_id, admin_page, services
from bot.channels.web.diffing import revision_diffs
from bot.channels.web.inbox_pages import flash_answers_now
from bot.channels.web.rendering import flash, message_page, page
from bot.channels.web.services import author_of
from bot.knowledge.entries import FaqDocument

PER_PAGE = 25


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def edit_of(form: FormData) -> FaqEdit:
    """The entry fields of a submitted form."""
    return FaqEdit(
        question=_text(form, "question"),
        answer=_text(form, "answer"),
        variants=[line.strip() for line in _text(form, "variants").splitlines() if line.strip()],
        tags=[tag.strip() for tag in _text(form, "tags").split(",") if tag.strip()],
        language=_text(form, "language") or "en",
        enabled=form.get("enabled") is not None,
    )


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


@admin_page
async def faq_list(request: Request) -> Response:
    """GET /faq: the whole FAQ, searched and filtered, one page at a time."""
    q = request.query_params
    enabled = {"yes": True, "no": False}.get(q.get("enabled", ""))
    wanted = FaqFilter(q.get("q", ""), q.get("language", ""), q.get("tag", ""), enabled)
    console = services(request)
    result = await console.faq.browse(wanted, _int(q.get("page"), 1), PER_PAGE)
    context = {
        "result": result,
        "wanted": wanted,
        "enabled": q.get("enabled", ""),
        "languages": await console.faq.languages(),
    }
    return page(request, "faq_list.html", context)


@admin_page
async def faq_new(request: Request) -> Response:
    """GET /faq/new: an empty form, or pre-filled from an unanswered group (``ids``)."""
    q = request.query_params
    entry = {
        "id": None,
        "question": q.get("question", ""),
        "answer": "",
        "variants": [v for v in q.getlist("variant") if v],
        "tags": [],
        "language": q.get("language", "en"),
        "enabled": True,
    }
    context = {"entry": entry, "message_ids": q.get("ids", ""), "try_question": q.get("question")}
    return page(request, "faq_edit.html", context)


@admin_page
async def faq_create(request: Request) -> Response:
    """POST /faq/new: create the entry (and mark the unanswered group answered)."""
    form = await request.form()
    edit, console = edit_of(form), services(request)
    ids = [int(i) for i in _text(form, "message_ids").split(",") if i.strip().isdigit()]
    author = author_of(admin_id(request))
    try:
        if ids:
            entry = await console.admin.resolve_as_new_faq(
                ids,
                question=edit.question or "",
                answer=edit.answer or "",
                author=author,
                language=edit.language or "en",
            )
        else:
            entry = await console.admin.add_faq(
                question=edit.question or "",
                answer=edit.answer or "",
                author=author,
                variants=edit.variants or (),
                tags=edit.tags or (),
                language=edit.language or "en",
            )
    except AdminError as exc:
        return message_page(request, "Not saved", str(exc), status=400)
    flash(request, f"Entry #{entry.id} created.")
    if ids:
        flash_answers_now(request, [entry.question, *entry.variants])
    return RedirectResponse(f"/faq/{entry.id}", status_code=303)


@admin_page
async def faq_edit(request: Request) -> Response:
    """GET /faq/<id>: the edit form beside "what the bot would answer"."""
    entry_id = int(request.path_params["entry_id"])
    try:
        entry = await services(request).admin.show_faq(entry_id)
    except AdminError as exc:
        return message_page(request, "Not found", str(exc), status=404)
    return page(request, "faq_edit.html", {"entry": entry, "message_ids": ""})


@admin_page
async def faq_save(request: Request) -> Response:
    """POST /faq/<id>: save the form as a new revision."""
    entry_id = int(request.path_params["entry_id"])
    edit = edit_of(await request.form())
    if not edit.question or not edit.answer:
        return message_page(request, "Not saved", "An entry needs a question and an answer.", 400)
    try:
        changes = await services(request).admin.edit_faq(
            entry_id, edit, author=author_of(admin_id(request))
        )
    except AdminError as exc:
        return message_page(request, "Not saved", str(exc), status=404)
    names = ", ".join(change.name for change in changes) or "nothing"
    flash(request, f"Saved entry #{entry_id} (changed: {names}).")
    return RedirectResponse(f"/faq/{entry_id}", status_code=303)


@admin_page
async def faq_preview(request: Request) -> Response:
    """POST /faq/preview: before/after answers to a question for the unsaved form (a fragment
    the page's script inserts; nothing is stored)."""
    form = await request.form()
    edit, question = edit_of(form), _text(form, "try")
    entry_id = _int(_text(form, "entry_id")) or None
    if not question:
        return page(request, "faq_preview.html", {"question": ""})
    draft = FaqDocument(
        id=entry_id if entry_id is not None else "draft",
        question=edit.question or "(no question)",
        answer=edit.answer or "(no answer)",
        variants=tuple(edit.variants or ()),
        tags=tuple(edit.tags or ()),
        language=edit.language or "en",
    )
    # Encoding the draft and searching take model time: off the event loop, which is the
    # bot's own when the console is served beside it (``supportbot run``).
    before, after = await asyncio.to_thread(
        services(request).preview.before_after,
        question,
        draft,
        enabled=bool(edit.enabled),
        replaces=entry_id,
    )
    return page(
        request, "faq_preview.html", {"question": question, "before": before, "after": after}
    )


@admin_page
async def faq_revisions(request: Request) -> Response:
    """GET /faq/<id>/revisions: every version, each beside the one before it."""
    entry_id = int(request.path_params["entry_id"])
    console = services(request)
    try:
        history = await console.faq.revisions(entry_id)
    except AdminError as exc:
        return message_page(request, "Not found", str(exc), status=404)
    current = history[0].revision if history else 0
    context = {"entry_id": entry_id, "diffs": revision_diffs(history), "current": current}
    return page(request, "faq_revisions.html", context)


@admin_page
async def faq_rollback(request: Request) -> Response:
    """POST /faq/<id>/rollback: make revision N current again (as a new revision)."""
    entry_id = int(request.path_params["entry_id"])
    number = _int(_text(await request.form(), "revision"))
    try:
        entry = await services(request).faq.rollback(
            entry_id, number, author=author_of(admin_id(request))
        )
    except AdminError as exc:
        return message_page(request, "Not rolled back", str(exc), status=404)
    flash(
        request, f"Entry #{entry_id} is back at revision {number} (now revision {entry.revision})."
    )
    return RedirectResponse(f"/faq/{entry_id}/revisions", status_code=303)


@admin_page
async def faq_delete_form(request: Request) -> Response:
    """GET /faq/<id>/delete: ask before deleting (the entry's text shown once more)."""
    entry_id = int(request.path_params["entry_id"])
    try:
        entry = await services(request).admin.show_faq(entry_id)
    except AdminError as exc:
        return message_page(request, "Not found", str(exc), status=404)
    return page(request, "faq_delete.html", {"entry": entry})


@admin_page
async def faq_delete(request: Request) -> Response:
    """POST /faq/<id>/delete: delete the entry (a "delete" revision by this admin); the bot
    stops answering with it at once."""
    entry_id = int(request.path_params["entry_id"])
    try:
        deleted = await services(request).admin.delete_faq(
            entry_id, author=author_of(admin_id(request))
        )
    except AdminError as exc:
        return message_page(request, "Not deleted", str(exc), status=404)
    flash(request, f"Entry #{entry_id} deleted ({deleted.question}); its revisions are kept.")
    return RedirectResponse("/faq", status_code=303)


def routes() -> list[Route]:
    return [
        Route("/faq", faq_list),
        Route("/faq/new", faq_new),
        Route("/faq/new", faq_create, methods=["POST"]),
        Route("/faq/preview", faq_preview, methods=["POST"]),
        *faq_files.routes(),
        Route("/faq/{entry_id:int}", faq_edit),
        Route("/faq/{entry_id:int}", faq_save, methods=["POST"]),
        Route("/faq/{entry_id:int}/delete", faq_delete_form),
        Route("/faq/{entry_id:int}/delete", faq_delete, methods=["POST"]),
        Route("/faq/{entry_id:int}/revisions", faq_revisions),
        Route("/faq/{entry_id:int}/rollback", faq_rollback, methods=["POST"]),
    ]
