"""Admin commands for the system prompt, statistics and unanswered questions.

``/prompt_set`` validates the template (it must render) and shows a preview before saving;
``/unanswered`` groups similar questions and offers one-tap fixes that turn a group into a new
FAQ entry or into phrasings of the entry retrieval already finds closest.
"""

from __future__ import annotations

import secrets

from telegram import Update

from bot.admin import AdminError
from bot.channels.telegram.admin_faq import author_of, flows_of, save_keyboard, tell
from bot.channels.telegram.keyboards import unanswered_keyboard
from bot.channels.telegram.services import Context, services_of

PREVIEW_CHARS = 1500
UNANSWERED_SHOWN = 10
PENDING_GROUPS_KEPT = 200


async def prompt_show(update: Update, context: Context) -> None:
    """/prompt_show: the system prompt template in force."""
    body, revision = await services_of(context).admin.show_prompt()
    where = f"revision {revision}" if revision is not None else "the default file in prompts/"
    await tell(update, context, f"System prompt ({where}):\n\n{body}")


async def prompt_set(update: Update, context: Context) -> None:
    """/prompt_set [TEMPLATE]: a new system prompt, validated and previewed before saving."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    assert user is not None and chat is not None and message is not None
    inline = (message.text or "").partition(" ")[2].strip()
    flows_of(context).begin(user.id, chat.id, "prompt_set", "body")
    if inline:
        await preview_prompt(update, context, inline)
        return
    await tell(update, context, "Send the new system prompt template (Jinja2). /cancel to stop.")


async def preview_prompt(update: Update, context: Context, body: str) -> None:
    """Validate a template; show it with a save button, or say what is wrong."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    try:
        services_of(context).admin.validate_prompt(body)
    except ValueError as exc:
        await tell(update, context, f"That template is not valid: {exc}\nSend a corrected one.")
        return
    flows_of(context).begin(user.id, chat.id, "prompt_set", "confirm", body=body)
    shown = body if len(body) <= PREVIEW_CHARS else body[:PREVIEW_CHARS] + " […]"
    await tell(
        update, context, f"Valid template ({len(body)} characters):\n\n{shown}", save_keyboard()
    )


async def prompt_history(update: Update, context: Context) -> None:
    """/prompt_history: every saved version."""
    history = await services_of(context).admin.prompt_history()
    if not history:
        await tell(
            update, context, "The system prompt was never changed (the file default applies)."
        )
        return
    lines = [
        f"rev {r.revision}: {r.changed_at:%Y-%m-%d %H:%M} by {r.changed_by or '?'}, "
        f"{len(r.body)} chars: {r.body[:60]!r}"
        for r in history
    ]
    await tell(update, context, "\n".join(lines))


async def prompt_rollback(update: Update, context: Context) -> None:
    """/prompt_rollback REV: make an earlier version current (as a new revision)."""
    args = context.args or []
    if not args or not args[0].isdigit():
        await tell(update, context, "Usage: /prompt_rollback REV")
        return
    try:
        revision = await services_of(context).admin.rollback_prompt(
            int(args[0]), author=author_of(update)
        )
    except AdminError as exc:
        await tell(update, context, str(exc))
        return
    await tell(update, context, f"Rolled back: revision {args[0]} is current again as {revision}.")


async def stats(update: Update, context: Context) -> None:
    """/stats [days]: activity, answer modes, feedback, latency, open hand-offs."""
    args = context.args or []
    days = int(args[0]) if args and args[0].isdigit() else 7
    s = await services_of(context).admin.stats(days)
    rated = s.thumbs_up + s.thumbs_down
    ratio = (
        f"{s.thumbs_up}/{s.thumbs_down} ({s.thumbs_up / rated:.0%} 👍)" if rated else "no ratings"
    )
    modes = ", ".join(f"{mode} {n}" for mode, n in sorted(s.modes.items())) or "none"
    latency = f"{s.median_latency_ms:.0f} ms" if s.median_latency_ms is not None else "n/a"
    await tell(
        update,
        context,
        "\n".join(
            [
                f"Last {s.days} days:",
                f"users {s.users}, sessions {s.sessions}, messages {s.messages}",
                f"answer modes: {modes}",
                f"👍/👎: {ratio}",
                f"median reply latency: {latency}",
                f"open hand-offs: {s.open_handoffs}, unanswered questions: {s.unanswered}",
            ]
        ),
    )


async def unanswered(update: Update, context: Context) -> None:
    """/unanswered: recent questions without a confident answer, grouped, with one-tap fixes."""
    services = services_of(context)
    groups = await services.admin.unanswered()
    if not groups:
        await tell(update, context, "No unanswered questions. 🎉")
        return
    pending = context.bot_data.unanswered
    await tell(update, context, f"{len(groups)} groups of unanswered questions:")
    for group in groups[:UNANSWERED_SHOWN]:
        token = secrets.token_hex(4)
        pending[token] = list(group.message_ids)
        while len(pending) > PENDING_GROUPS_KEPT:  # buttons of old lists simply expire
            del pending[next(iter(pending))]
        hits = services.admin.search_faq(group.text, k=1)
        best = int(hits[0].document.id) if hits else None
        examples = "\n".join(f"• {t}" for t in group.texts[:5])
        closest = f"\nClosest entry: #{best} {hits[0].document.question}" if hits else ""
        if group.suggested_entry is not None:  # customers picked it under "did you mean…"
            best = group.suggested_entry
            closest = f"\nCustomers chose #{best} ({group.picks}×) under “did you mean”"
        await tell(
            update,
            context,
            f"{group.size}× {group.text}\n{examples}{closest}",
            unanswered_keyboard(token, best),
        )


async def resolve_unanswered(update: Update, context: Context) -> None:
    """The buttons under an unanswered group: new FAQ (asks for the answer) or a phrasing."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and query.data is not None and chat is not None
    await query.answer()
    parts = query.data.split(":")
    message_ids = context.bot_data.unanswered.get(parts[2])
    if not message_ids:
        await query.edit_message_text("This list is outdated; send /unanswered again.")
        return
    services = services_of(context)
    if parts[1] == "var":
        try:
            entry = await services.admin.resolve_as_variant(
                message_ids, int(parts[3]), author=author_of(update)
            )
        except AdminError as exc:
            await query.edit_message_text(str(exc))
            return
        await query.edit_message_text(f"Added as phrasings of #{entry.id} {entry.question}")
        return
    question = (
        (query.message.text or "").split("\n", 1)[0].partition("× ")[2] if query.message else ""
    )
    flows_of(context).begin(
        query.from_user.id, chat.id, "faq_add", "answer", question=question, message_ids=message_ids
    )
    await tell(
        update, context, f"New FAQ entry for: {question}\nSend the answer (/cancel to stop)."
    )


async def save_prompt(update: Update, context: Context, body: str) -> str:
    try:
        revision = await services_of(context).admin.set_prompt(body, author=author_of(update))
    except AdminError as exc:
        return str(exc)
    return f"System prompt saved as revision {revision}."
