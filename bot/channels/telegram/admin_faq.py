"""Admin FAQ commands: list, show, search, guided add and edit, delete, add a phrasing.

Every change goes through ``bot.admin.AdminService``, so it is stored as a revision with the
admin's id (``telegram:<id>``) and is visible to the very next customer question.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.admin import AdminError, FaqEntryView, FieldChange
from bot.channels.telegram.flows import FlowStore
from bot.channels.telegram.formatting import split_text
from bot.channels.telegram.keyboards import FAQ_DELETE, FLOW, confirm_keyboard
from bot.channels.telegram.sending import send_parts
from bot.channels.telegram.services import Context, services_of


def author_of(update: Update) -> str:
    user = update.effective_user
    return f"telegram:{user.id if user else '?'}"


async def tell(
    update: Update,
    context: Context,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send an admin reply (any length, escaped)."""
    chat = update.effective_chat
    assert chat is not None
    await send_parts(context.bot, chat.id, split_text(text), reply_markup=markup)


def flows_of(context: Context) -> FlowStore:
    return context.bot_data.flows


def describe(entry: FaqEntryView) -> str:
    lines = [
        f"#{entry.id} [{entry.language}] {'enabled' if entry.enabled else 'disabled'}, "
        f"revision {entry.revision} by {entry.updated_by or '?'}",
        f"Q: {entry.question}",
        f"A: {entry.answer}",
    ]
    if entry.variants:
        lines.append("Phrasings:\n" + "\n".join(f"• {v}" for v in entry.variants))
    if entry.tags:
        lines.append("Tags: " + ", ".join(entry.tags))
    return "\n".join(lines)


def describe_diff(diff: list[FieldChange]) -> str:
    if not diff:
        return "Nothing would change."
    return "\n\n".join(f"{c.name}:\n- {c.before}\n+ {c.after}" for c in diff)


def _int_arg(context: Context, index: int = 0) -> int | None:
    args = context.args or []
    if len(args) > index and args[index].lstrip("#").isdigit():
        return int(args[index].lstrip("#"))
    return None


async def faq_list(update: Update, context: Context) -> None:
    """/faq_list [page]: entries, ten per page."""
    page = await services_of(context).admin.list_faq(page=_int_arg(context) or 1)
    lines = [f"FAQ page {page.page}/{page.pages} ({page.total} entries)"]
    lines += [
        f"#{e.id} [{e.language}]{'' if e.enabled else ' (off)'} {e.question}" for e in page.entries
    ]
    await tell(update, context, "\n".join(lines))


async def _entry_named(update: Update, context: Context, usage: str) -> FaqEntryView | None:
    """The entry whose id is the command's argument; tells the admin why when there is none."""
    entry_id = _int_arg(context)
    if entry_id is None:
        await tell(update, context, usage)
        return None
    try:
        return await services_of(context).admin.show_faq(entry_id)
    except AdminError as exc:
        await tell(update, context, str(exc))
        return None


async def faq_show(update: Update, context: Context) -> None:
    """/faq_show ID: one entry in full."""
    entry = await _entry_named(update, context, "Usage: /faq_show ID")
    if entry is not None:
        await tell(update, context, describe(entry))


async def faq_search(update: Update, context: Context) -> None:
    """/faq_search TEXT: what a customer asking TEXT would be matched with."""
    text = " ".join(context.args or []).strip()
    if not text:
        await tell(update, context, "Usage: /faq_search TEXT")
        return
    hits = services_of(context).admin.search_faq(text)
    if not hits:
        await tell(update, context, "No matching entry.")
        return
    lines = [f"#{h.document.id} ({h.confidence:.2f}) {h.document.question}" for h in hits]
    await tell(update, context, "\n".join(lines))


async def faq_add(update: Update, context: Context) -> None:
    """/faq_add: guided, question then answer then confirm."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    flows_of(context).begin(user.id, chat.id, "faq_add", "question")
    await tell(update, context, "New FAQ entry. Send the question (/cancel to stop).")


async def faq_edit(update: Update, context: Context) -> None:
    """/faq_edit ID: field by field (question, answer, phrasings), then the diff to confirm."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    entry = await _entry_named(update, context, "Usage: /faq_edit ID")
    if entry is None:
        return
    flows_of(context).begin(user.id, chat.id, "faq_edit", "question", entry_id=entry.id)
    await tell(
        update,
        context,
        f"{describe(entry)}\n\nSend the new question, or /skip to keep it (/cancel to stop).",
    )


async def faq_delete(update: Update, context: Context) -> None:
    """/faq_delete ID: shows the entry with a confirm button."""
    entry = await _entry_named(update, context, "Usage: /faq_delete ID")
    if entry is None:
        return
    markup = confirm_keyboard("🗑 Delete", f"{FAQ_DELETE}:{entry.id}", f"{FAQ_DELETE}:no")
    await tell(update, context, f"Delete this entry?\n\n{describe(entry)}", markup)


async def confirm_delete(update: Update, context: Context) -> None:
    """The delete confirmation button."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    target = query.data.split(":", 1)[1]
    if not target.isdigit():
        await query.edit_message_text("Nothing was deleted.")
        return
    try:
        await services_of(context).admin.delete_faq(int(target), author=author_of(update))
    except AdminError as exc:
        await query.edit_message_text(str(exc))
        return
    await query.edit_message_text(f"FAQ entry #{target} deleted (its history is kept).")


async def faq_variant(update: Update, context: Context) -> None:
    """/faq_variant ID TEXT: add an alternative phrasing."""
    entry_id = _int_arg(context)
    phrasing = " ".join((context.args or [])[1:]).strip()
    if entry_id is None or not phrasing:
        await tell(update, context, "Usage: /faq_variant ID TEXT")
        return
    try:
        entry = await services_of(context).admin.add_variant(
            entry_id, phrasing, author=author_of(update)
        )
    except AdminError as exc:
        await tell(update, context, str(exc))
        return
    await tell(
        update, context, f"Added. Entry #{entry.id} now has {len(entry.variants)} phrasings."
    )


def save_keyboard() -> InlineKeyboardMarkup:
    return confirm_keyboard("✅ Save", f"{FLOW}:save", f"{FLOW}:cancel")
