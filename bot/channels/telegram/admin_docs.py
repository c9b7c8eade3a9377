"""Admin commands for the help-centre documents: ``/docs`` lists the sources with their counts
and state, ``/docs_sync [ID]`` fetches every source (or one) again and reports the counts.

Both reach the composition root's ``DocumentLibrary`` (``app.documents``), the same one the
console and ``supportbot docs`` use. A sync runs inside the handler: the admin's own chat waits
for it (the inbox worker renews the claim meanwhile), other chats do not.
"""

from __future__ import annotations

from telegram import Update

from bot.channels.telegram.admin_faq import tell
from bot.channels.telegram.services import Context, services_of
from bot.knowledge.documents.library import DocumentLibrary
from bot.knowledge.documents.views import SourceView, SyncReport

FAILURES_SHOWN = 10
NO_DOCUMENTS = (
    "No documents yet. Add a help centre with `supportbot docs add PATH_OR_URL` on the server, "
    "or on the Documents page of the web console (/console)."
)


def _library(context: Context) -> DocumentLibrary:
    return services_of(context).app.documents  # type: ignore[no-any-return]


def describe_source(source: SourceView) -> str:
    """One source in a few lines: id, kind, where, counts, last sync and what fails."""
    synced = f"{source.last_synced_at:%Y-%m-%d %H:%M} UTC" if source.last_synced_at else "never"
    lines = [
        f"#{source.id} {source.kind}: {source.title or source.location}",
        f"   {source.articles} articles, {source.passages} passages, synced {synced}",
    ]
    if source.title:
        lines.insert(1, f"   {source.location}")
    if source.failing:
        lines.append(f"   ⚠️ {source.failing} articles failing (their last passages are kept)")
    if source.last_error:
        lines.append(f"   ⚠️ last sync failed: {source.last_error}")
    return "\n".join(lines)


def describe_report(report: SyncReport) -> str:
    """The counts, then the first failures with their reasons."""
    lines = [f"Sync done: {report.summary()}."]
    for location, reason in report.failures[:FAILURES_SHOWN]:
        lines.append(f"• {location}: {reason}")
    if len(report.failures) > FAILURES_SHOWN:
        lines.append(f"… and {len(report.failures) - FAILURES_SHOWN} more.")
    return "\n".join(lines)


async def docs(update: Update, context: Context) -> None:
    """/docs: every document source with its articles, passages and state."""
    sources = await _library(context).sources()
    if not sources:
        await tell(update, context, NO_DOCUMENTS)
        return
    articles = sum(s.articles for s in sources)
    passages = sum(s.passages for s in sources)
    head = f"Documents: {len(sources)} sources, {articles} articles, {passages} passages."
    body = "\n\n".join(describe_source(source) for source in sources)
    await tell(update, context, f"{head}\n\n{body}\n\n/docs_sync [ID] fetches them again.")


async def docs_sync(update: Update, context: Context) -> None:
    """/docs_sync [ID]: fetch every source (or source ID) again; unchanged articles are
    skipped, changed ones re-chunked, gone ones removed, failures reported."""
    args = context.args or []
    if args and not args[0].isdigit():
        await tell(update, context, "Usage: /docs_sync [ID] (the ids are in /docs)")
        return
    library = _library(context)
    sources = await library.sources()
    source_id = int(args[0]) if args else None
    if source_id is not None and all(s.id != source_id for s in sources):
        await tell(update, context, f"There is no document source #{source_id} (see /docs).")
        return
    if not sources:
        await tell(update, context, NO_DOCUMENTS)
        return
    which = f"source #{source_id}" if source_id is not None else f"{len(sources)} sources"
    await tell(update, context, f"Syncing {which}…")
    await tell(update, context, describe_report(await library.sync(source_id)))
