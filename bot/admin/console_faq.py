"""FAQ use cases of the web console beyond AdminService: browse, revisions, rollback, import
preview and export, each change a revision authored ``console:<admin id>``.

Imports go through ``FaqCatalog.import_records`` (one transaction, all rows or none), first as
a dry run the admin confirms; a malformed file is refused before anything is written, with the
row (line or entry number) that is wrong.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.admin.faq_views import FaqEntryView, FaqPage
from bot.admin.service import AdminError, AdminService
from bot.knowledge.faq.faqfile import FaqFileError, FaqRecord, file_format, read_faq_file
from storage.models import FaqRevision
from storage.repositories import faq, faq_browse
from storage.repositories.faq_browse import FaqFilter

__all__ = ["FaqConsole", "FaqFilter", "ImportPreview", "RevisionView"]

EXPORT_TYPES = {"yaml": "application/yaml", "json": "application/json", "csv": "text/csv"}


@dataclass(frozen=True, slots=True)
class RevisionView:
    """One stored version of an entry."""

    revision: int
    action: str
    question: str
    answer: str
    variants: list[str]
    tags: list[str]
    language: str
    enabled: bool
    changed_by: str | None
    changed_at: datetime


@dataclass(slots=True)
class ImportPreview:
    """Per-row outcome of an import: added, changed, unchanged, or the invalid row's reason."""

    rows: list[tuple[str, str]] = field(default_factory=list)  # (label, outcome)
    error: str | None = None
    records: list[FaqRecord] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.error is None


class FaqConsole:
    """What the console's FAQ pages call."""

    def __init__(self, admin: AdminService) -> None:
        self.admin = admin
        self.catalog = admin.catalog

    async def browse(self, wanted: FaqFilter, page: int = 1, per_page: int = 25) -> FaqPage:
        """Matching entries, one page at a time."""
        async with self.admin.session_factory() as session:
            _, total = await faq_browse.search(session=session, wanted=wanted, offset=0, limit=0)
            pages = max(1, -(-total // per_page))
            page = min(max(1, page), pages)
            rows, total = await faq_browse.search(
                session=session, wanted=wanted, offset=(page - 1) * per_page, limit=per_page
            )
            views = [FaqEntryView.of(row) for row in rows]
        return FaqPage(entries=views, page=page, pages=pages, total=total)

    async def languages(self) -> list[str]:
        async with self.admin.session_factory() as session:
            return await faq_browse.languages(session=session)

    async def revisions(self, entry_id: int) -> list[RevisionView]:
        """Every version of an entry, newest first."""
        history = await self.admin.faq_history(entry_id)
        return [_revision_view(row) for row in reversed(history)]

    async def rollback(self, entry_id: int, number: int, *, author: str) -> FaqEntryView:
        """Make an earlier version current again, as a new revision."""
        async with self.admin.session_factory() as session, session.begin():
            old = await faq_browse.revision(session=session, entry_id=entry_id, number=number)
            entry = await faq.get(session=session, entry_id=entry_id)
            if old is None or entry is None:
                raise AdminError(f"FAQ entry {entry_id} has no revision {number}")
            changes = faq.FaqChanges(
                question=old.question,
                answer=old.answer,
                variants=list(old.variants),
                tags=list(old.tags),
                language=old.language,
                enabled=old.enabled,
            )
            await faq.update(session=session, entry=entry, changes=changes, author=author)
            view = FaqEntryView.of(entry)
        self.catalog.refresh(entry)
        return view

    async def preview_import(self, filename: str, content: bytes) -> ImportPreview:
        """Read an uploaded file and dry-run it: what each row would do, or the bad row."""
        preview = ImportPreview()
        try:
            records = _read_upload(filename, content)
            report = await self.catalog.import_records(records, author=None, dry_run=True)
        except FaqFileError as exc:
            preview.error = str(exc)
            return preview
        preview.records = records
        outcome = {label: "added" for label in report.added}
        outcome |= {label: "changed" for label in report.changed}
        outcome |= {label: "unchanged" for label in report.unchanged}
        for record in records:
            label = str(record.id) if record.id is not None else record.question[:40]
            preview.rows.append((label, outcome.get(label, "unchanged")))
        return preview

    async def confirm_import(self, filename: str, content: bytes, *, author: str) -> str:
        """Import the file (re-read: the preview was of these very bytes); a summary line."""
        records = _read_upload(filename, content)
        report = await self.catalog.import_records(records, author=author)
        return report.summary()

    async def export(self, kind: str) -> bytes:
        """Every entry as a YAML, JSON or CSV file."""
        if kind not in EXPORT_TYPES:
            raise AdminError(f"unknown export format {kind!r}")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"faq.{kind}"
            await self.catalog.export_file(path)
            return path.read_bytes()


def _read_upload(filename: str, content: bytes) -> list[FaqRecord]:
    suffix = Path(filename or "faq.yaml").suffix.lower() or ".yaml"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        file_format(path)  # an unknown type is refused by name
        path.write_bytes(content)
        return read_faq_file(path)


def _revision_view(row: FaqRevision) -> RevisionView:
    return RevisionView(
        revision=row.revision,
        action=row.action,
        question=row.question,
        answer=row.answer,
        variants=list(row.variants or []),
        tags=list(row.tags or []),
        language=row.language,
        enabled=row.enabled,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
    )
