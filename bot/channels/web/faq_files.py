"""FAQ import (upload, per-row preview, one confirm) and export (YAML, JSON, CSV)."""

from __future__ import annotations

import base64
import binascii

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.console_faq import EXPORT_TYPES
from bot.admin.service import AdminError
from bot.channels.web.auth import admin_id, admin_page, services
from bot.channels.web.rendering import flash, message_page, page
from bot.channels.web.services import author_of
from bot.knowledge.faq.faqfile import FaqFileError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@admin_page
async def import_form(request: Request) -> Response:
    """GET /faq/import: the upload form."""
    return page(request, "faq_import.html", {"preview": None})


@admin_page
async def import_preview(request: Request) -> Response:
    """POST /faq/import: what each row would do; nothing is written yet."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return message_page(request, "Nothing to import", "Choose a YAML, JSON or CSV file.", 400)
    content = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        return message_page(request, "File too large", "FAQ files up to 5 MB can be imported.", 413)
    preview = await services(request).faq.preview_import(upload.filename, content)
    context = {
        "preview": preview,
        "filename": upload.filename,
        "payload": base64.b64encode(content).decode("ascii"),
        "counts": {
            kind: sum(1 for _, outcome in preview.rows if outcome == kind)
            for kind in ("added", "changed", "unchanged")
        },
    }
    return page(request, "faq_import.html", context)  # a refused file is a shown preview too


@admin_page
async def import_confirm(request: Request) -> Response:
    """POST /faq/import/confirm: import the previewed file (all rows or none)."""
    form = await request.form()
    filename, payload = form.get("filename"), form.get("payload")
    try:
        if not isinstance(filename, str) or not isinstance(payload, str):
            raise FaqFileError("the previewed file is missing")
        content = base64.b64decode(payload, validate=True)
        summary = await services(request).faq.confirm_import(
            filename, content, author=author_of(admin_id(request))
        )
    except (FaqFileError, binascii.Error) as exc:
        return message_page(request, "Import refused", f"Nothing was imported: {exc}", 422)
    flash(request, f"Import done: {summary}.")
    return RedirectResponse("/faq", status_code=303)


@admin_page
async def export(request: Request) -> Response:
    """GET /faq/export?format=yaml|json|csv: every entry, enabled or not."""
    kind = request.query_params.get("format", "yaml")
    try:
        body = await services(request).faq.export(kind)
    except AdminError as exc:
        return message_page(request, "Cannot export", str(exc), status=400)
    headers = {"content-disposition": f'attachment; filename="faq.{kind}"'}
    return Response(body, media_type=EXPORT_TYPES[kind], headers=headers)


def routes() -> list[Route]:
    return [
        Route("/faq/import", import_form),
        Route("/faq/import", import_preview, methods=["POST"]),
        Route("/faq/import/confirm", import_confirm, methods=["POST"]),
        Route("/faq/export", export),
    ]
