"""Documents pages: the help-centre sources with their state (last sync, articles, passages,
failures), adding one by URL or by upload, "Sync now", removing (after a confirmation page), a
source's articles, an article's passages as the bot sees them, and "what would the bot answer"
over passages and entries. Adds and syncs run in the background (``DocumentsAdmin.start``):
the page shows the running job and, when done, its counts."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.documents_admin import MAX_UPLOAD_BYTES, DocumentsError
from bot.channels.web.auth import admin_page, services
from bot.channels.web.rendering import flash, message_page, page

HOME = "/documents"


def _back() -> Response:
    return RedirectResponse(HOME, status_code=303)


def _pages(form: FormData) -> int | None:
    value = form.get("max_pages")
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


@admin_page
async def documents(request: Request) -> Response:
    """GET /documents[?ask=…]: sources and their state; the preview of a question."""
    admin = services(request).documents
    question = request.query_params.get("ask", "").strip()
    preview = await admin.preview(question) if question else None
    context = {
        "sources": await admin.sources(),
        "job": admin.job,
        "busy": admin.busy,
        "ask": question,
        "preview": preview,
    }
    return page(request, "documents.html", context)


@admin_page
async def add(request: Request) -> Response:
    """POST /documents/add: a page, a sitemap or a site (fetched in the background)."""
    form = await request.form()
    location = form.get("location")
    try:
        job = services(request).documents.add_location(
            location if isinstance(location, str) else "", _pages(form)
        )
    except DocumentsError as exc:
        return message_page(request, "Not added", str(exc), status=400)
    flash(request, f"Started: {job.name}.")
    return _back()


@admin_page
async def upload(request: Request) -> Response:
    """POST /documents/upload: a Markdown, HTML, text or PDF file."""
    file = (await request.form()).get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return message_page(request, "Nothing uploaded", "Choose a file.", 400)
    content = await file.read(MAX_UPLOAD_BYTES + 1)
    try:
        job = services(request).documents.add_upload(file.filename, content)
    except DocumentsError as exc:
        return message_page(request, "Not added", str(exc), status=400)
    flash(request, f"Started: {job.name}.")
    return _back()


@admin_page
async def sync(request: Request) -> Response:
    """POST /documents/sync (every source) or /documents/<id>/sync: fetch again now."""
    source_id = request.path_params.get("source_id")
    try:
        job = services(request).documents.sync(source_id)
    except DocumentsError as exc:
        return message_page(request, "Not started", str(exc), status=409)
    flash(request, f"Started: {job.name}.")
    return _back()


@admin_page
async def source(request: Request) -> Response:
    """GET /documents/<id>: a source's articles."""
    admin = services(request).documents
    found = await admin.source(request.path_params["source_id"])
    if found is None:
        return message_page(request, "Not found", "There is no such source.", 404)
    articles = await admin.articles(found.id)
    return page(request, "documents_source.html", {"source": found, "articles": articles})


@admin_page
async def article(request: Request) -> Response:
    """GET /documents/articles/<id>: an article's passages, as the bot searches and cites
    them."""
    passages = await services(request).documents.passages(request.path_params["article_id"])
    if not passages:
        return message_page(request, "Not found", "No such article, or it has no passage.", 404)
    return page(request, "documents_article.html", {"passages": passages})


@admin_page
async def passage(request: Request) -> Response:
    """GET /documents/passages/<id>: the passage in its article (a transcript's reply links
    the passages it answered from here)."""
    passage_id = request.path_params["passage_id"]
    article_id = await services(request).documents.article_of_passage(passage_id)
    if article_id is None:
        text = "This passage is no longer stored: its article changed or was removed since."
        return message_page(request, "Not found", text, 404)
    where = f"{HOME}/articles/{article_id}#passage-{passage_id}"
    return RedirectResponse(where, status_code=303)


@admin_page
async def remove_form(request: Request) -> Response:
    """GET /documents/<id>/remove: ask before removing a source."""
    found = await services(request).documents.source(request.path_params["source_id"])
    if found is None:
        return message_page(request, "Not found", "There is no such source.", 404)
    return page(request, "documents_remove.html", {"source": found})


@admin_page
async def remove(request: Request) -> Response:
    """POST /documents/<id>/remove: forget the source, its articles and passages."""
    source_id = request.path_params["source_id"]
    try:
        report = await services(request).documents.remove(source_id)
    except DocumentsError as exc:
        return message_page(request, "Not removed", str(exc), status=409)
    flash(request, f"Source #{source_id} removed ({report.removed} articles).")
    return _back()


def routes() -> list[Route]:
    return [
        Route(HOME, documents),
        Route(f"{HOME}/add", add, methods=["POST"]),
        Route(f"{HOME}/upload", upload, methods=["POST"]),
        Route(f"{HOME}/sync", sync, methods=["POST"]),
        Route(HOME + "/{source_id:int}", source),
        Route(HOME + "/{source_id:int}/sync", sync, methods=["POST"]),
        Route(HOME + "/{source_id:int}/remove", remove_form),
        Route(HOME + "/{source_id:int}/remove", remove, methods=["POST"]),
        Route(HOME + "/articles/{article_id:int}", article),
        Route(HOME + "/passages/{passage_id:int}", passage),
    ]
