"""``supportbot faq …``: manage the FAQ from the command line.

Every change goes through ``AdminService`` and is recorded as a revision authored by
``cli:<login name>``; a running bot picks it up before its next answer (``FaqCatalog.sync``).
Only ``search`` loads the embedding model; the other actions need the database alone.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.admin import FaqEdit, FaqEntryView
from bot.admin.service import AdminError, AdminService
from bot.app import open_app
from bot.config import Settings, UsageError, UserFacingError
from bot.knowledge.faq.faqfile import FaqFileError

Action = Callable[[argparse.Namespace, AdminService], Awaitable[int]]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("faq", help="list, search, edit, import and export FAQ entries")
    actions = parser.add_subparsers(dest="faq_command", metavar="ACTION", required=True)

    def action(name: str, handler: Action, help_text: str) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text)
        sub.set_defaults(handler=_runner(handler), needs_index=name == "search")
        return sub

    listing = action("list", list_entries, "list entries")
    listing.add_argument("--page", type=int, default=1)
    listing.add_argument("--per-page", type=int, default=20)
    listing.add_argument("--json", action="store_true")

    show = action("show", show_entry, "show one entry with its history")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")

    search = action("search", search_entries, "what a customer asking TEXT would be matched with")
    search.add_argument("text")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--lang", default=None)

    add = action("add", add_entry, "add an entry")
    add.add_argument("--question", required=True)
    add.add_argument("--answer", required=True)
    add.add_argument("--variant", action="append", default=[], help="alternative phrasing")
    add.add_argument("--tag", action="append", default=[])
    add.add_argument("--lang", default="en")

    edit = action("edit", edit_entry, "change fields of an entry (a new revision)")
    edit.add_argument("id", type=int)
    edit.add_argument("--question")
    edit.add_argument("--answer")
    edit.add_argument("--variant", action="append", help="replaces all phrasings")
    edit.add_argument("--tag", action="append", help="replaces all tags")
    edit.add_argument("--lang")
    state = edit.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True)
    state.add_argument("--disable", dest="enabled", action="store_const", const=False)

    delete = action("delete", delete_entry, "delete an entry (its history is kept)")
    delete.add_argument("id", type=int)

    importing = action("import", import_entries, "upsert entries from a YAML, JSON or CSV file")
    importing.add_argument("file", type=Path)
    importing.add_argument("--dry-run", action="store_true", help="report, change nothing")

    export = action("export", export_entries, "write every entry to a YAML, JSON or CSV file")
    export.add_argument("file", type=Path)


def _runner(handler: Action) -> Callable[[argparse.Namespace, Settings], int]:
    """Wrap an async action with the database, the catalog and the admin service."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        async def main() -> int:
            async with open_app(
                settings, load_model=False, load_index=args.needs_index, import_demo=False
            ) as app:
                return await handler(args, app.admin)

        try:
            return asyncio.run(main())
        except AdminError as exc:
            raise UserFacingError(str(exc)) from None
        except FaqFileError as exc:
            raise UsageError(f"{args.file}: {exc}") from None
        except FileNotFoundError as exc:
            raise UsageError(f"no such file: {exc.filename}") from None

    return run


def author() -> str:
    """Who is changing the FAQ from this terminal."""
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return "cli"


def entry_as_dict(entry: FaqEntryView) -> dict[str, Any]:
    return {
        "id": entry.id,
        "question": entry.question,
        "answer": entry.answer,
        "variants": list(entry.variants),
        "tags": list(entry.tags),
        "language": entry.language,
        "enabled": entry.enabled,
        "revision": entry.revision,
        "updated_by": entry.updated_by,
        "updated_at": entry.updated_at.isoformat(),
    }


def one_line(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


async def list_entries(args: argparse.Namespace, admin: AdminService) -> int:
    """Print one page of entries."""
    page = await admin.list_faq(page=args.page, per_page=args.per_page)
    if args.json:
        print(json.dumps([entry_as_dict(e) for e in page.entries], ensure_ascii=False, indent=2))
        return 0
    for entry in page.entries:
        flag = "" if entry.enabled else " (disabled)"
        print(f"{entry.id:>5}  [{entry.language}] {one_line(entry.question)}{flag}")
    print(f"page {page.page}/{page.pages}, {page.total} entries")
    return 0


async def show_entry(args: argparse.Namespace, admin: AdminService) -> int:
    """Print one entry and its revisions."""
    entry = await admin.show_faq(args.id)
    history = await admin.faq_history(args.id)
    if args.json:
        shown = entry_as_dict(entry)
        shown["history"] = [
            {
                "revision": r.revision,
                "action": r.action,
                "by": r.changed_by,
                "at": r.changed_at.isoformat(),
            }
            for r in history
        ]
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        return 0
    print(f"#{entry.id} [{entry.language}] {'enabled' if entry.enabled else 'disabled'}")
    print(f"Q: {entry.question}\nA: {entry.answer}")
    for variant in entry.variants:
        print(f"   also: {variant}")
    if entry.tags:
        print(f"tags: {', '.join(entry.tags)}")
    for revision in history:
        print(
            f"rev {revision.revision} {revision.action} by {revision.changed_by} "
            f"at {revision.changed_at:%Y-%m-%d %H:%M}"
        )
    return 0


async def search_entries(args: argparse.Namespace, admin: AdminService) -> int:
    """Print the best matches with their confidence."""
    hits = admin.catalog.search(args.text, k=args.k, language=args.lang)
    if not hits:
        print("no match")
    for hit in hits:
        print(f"{hit.confidence:5.2f}  #{hit.document.id}  {one_line(hit.document.question)}")
    return 0


async def add_entry(args: argparse.Namespace, admin: AdminService) -> int:
    """Create an entry and print its id."""
    entry = await admin.add_faq(
        question=args.question,
        answer=args.answer,
        variants=args.variant,
        tags=args.tag,
        language=args.lang,
        author=author(),
    )
    print(f"added #{entry.id}")
    return 0


async def edit_entry(args: argparse.Namespace, admin: AdminService) -> int:
    """Apply the given field changes and print the diff."""
    changes = FaqEdit(
        question=args.question,
        answer=args.answer,
        variants=args.variant,
        tags=args.tag,
        language=args.lang,
        enabled=args.enabled,
    )
    diff = await admin.edit_faq(args.id, changes, author=author())
    if not diff:
        print(f"#{args.id}: nothing to change")
    for change in diff:
        print(f"#{args.id} {change.name}: {change.before!r} -> {change.after!r}")
    return 0


async def delete_entry(args: argparse.Namespace, admin: AdminService) -> int:
    """Delete an entry."""
    entry = await admin.delete_faq(args.id, author=author())
    print(f"deleted #{entry.id} ({one_line(entry.question, 50)}); history kept")
    return 0


async def import_entries(args: argparse.Namespace, admin: AdminService) -> int:
    """Upsert a file's entries (all or nothing) and print what changed."""
    report = await admin.catalog.import_file(args.file, author=author(), dry_run=args.dry_run)
    for label, ids in (("add", report.added), ("change", report.changed)):
        for entry_id in ids:
            print(f"{'would ' if report.dry_run else ''}{label} {entry_id}")
    print(report.summary())
    return 0


async def export_entries(args: argparse.Namespace, admin: AdminService) -> int:
    """Write every entry to a file."""
    count = await admin.catalog.export_file(args.file)
    print(f"exported {count} entries to {args.file}")
    return 0
