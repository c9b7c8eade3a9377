"""The steps of the guided admin dialogues: each text, ``/skip``, ``/cancel`` and the save button.

A dialogue only collects input; nothing is written before the admin taps ✅ Save on a preview
(the new entry, the diff of an edit, or the validated template).
"""

from __future__ import annotations

from telegram import Update

from bot.admin import AdminError, FaqEdit
from bot.channels.telegram.admin_faq import author_of, describe_diff, flows_of, save_keyboard, tell
from bot.channels.telegram.admin_prompts import preview_prompt, save_prompt
from bot.channels.telegram.flows import Flow
from bot.channels.telegram.services import Context, services_of
from bot.knowledge.text.language import detect_language

EDIT_STEPS = ("question", "answer", "variants")
EDIT_PROMPTS = {
    "answer": "Send the new answer, or /skip to keep it.",
    "variants": "Send the phrasings, one per line (they replace the old ones), or /skip.",
}


async def dialogue_text(update: Update, context: Context) -> None:
    """The admin's next input in the dialogue they are in."""
    await _advance(update, context, (update.effective_message.text or "").strip())  # type: ignore[union-attr]


async def skip(update: Update, context: Context) -> None:
    """/skip: keep the current value of this field (``/faq_edit``)."""
    await _advance(update, context, None)


async def cancel(update: Update, context: Context) -> None:
    """/cancel: leave the dialogue; nothing is saved."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    flow = flows_of(context).end(user.id, chat.id)
    await tell(update, context, "Cancelled; nothing was saved." if flow else "Nothing to cancel.")


async def _advance(update: Update, context: Context, value: str | None) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    flow = flows_of(context).get(user.id, chat.id)
    if flow is None:
        return
    if flow.name == "prompt_set":
        if value:
            await preview_prompt(update, context, value)
        return
    if flow.name == "faq_add":
        await _advance_add(update, context, flow, value)
    elif flow.name == "faq_edit":
        await _advance_edit(update, context, flow, value)


async def _advance_add(update: Update, context: Context, flow: Flow, value: str | None) -> None:
    if not value:
        await tell(update, context, "Please send some text (or /cancel).")
        return
    if flow.step == "question":
        flow.data["question"], flow.step = value, "answer"
        await tell(update, context, "Now send the answer.")
        return
    flow.data["answer"], flow.step = value, "confirm"
    await tell(
        update,
        context,
        f"Save this entry?\n\nQ: {flow.data['question']}\nA: {flow.data['answer']}",
        save_keyboard(),
    )


async def _advance_edit(update: Update, context: Context, flow: Flow, value: str | None) -> None:
    if flow.step not in EDIT_STEPS:
        return
    if value:
        if flow.step == "variants":
            flow.data["variants"] = [line.strip() for line in value.splitlines() if line.strip()]
        else:
            flow.data[flow.step] = value
    following = EDIT_STEPS.index(flow.step) + 1
    if following < len(EDIT_STEPS):
        flow.step = EDIT_STEPS[following]
        await tell(update, context, EDIT_PROMPTS[flow.step])
        return
    flow.step = "confirm"
    diff = await services_of(context).admin.preview_faq_edit(flow.data["entry_id"], _edit(flow))
    if not diff:
        flows_of(context).end(update.effective_user.id, update.effective_chat.id)  # type: ignore[union-attr]
        await tell(update, context, "Nothing would change; the entry stays as it is.")
        return
    await tell(update, context, f"Save these changes?\n\n{describe_diff(diff)}", save_keyboard())


def _edit(flow: Flow) -> FaqEdit:
    return FaqEdit(
        question=flow.data.get("question"),
        answer=flow.data.get("answer"),
        variants=flow.data.get("variants"),
    )


async def save_or_cancel(update: Update, context: Context) -> None:
    """✅ Save / Cancel under a dialogue's preview."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and query.data is not None and chat is not None
    await query.answer()
    flow = flows_of(context).get(query.from_user.id, chat.id)
    if flow is None or flow.step != "confirm":
        await query.edit_message_reply_markup(None)
        return
    flows_of(context).end(query.from_user.id, chat.id)
    if query.data.endswith(":cancel"):
        await query.edit_message_reply_markup(None)
        await tell(update, context, "Cancelled; nothing was saved.")
        return
    await query.edit_message_reply_markup(None)
    await tell(update, context, await _save(update, context, flow))


async def _save(update: Update, context: Context, flow: Flow) -> str:
    admin, author = services_of(context).admin, author_of(update)
    try:
        if flow.name == "prompt_set":
            return await save_prompt(update, context, flow.data["body"])
        if flow.name == "faq_edit":
            diff = await admin.edit_faq(flow.data["entry_id"], _edit(flow), author=author)
            return f"Entry #{flow.data['entry_id']} saved ({len(diff)} fields changed)."
        question, answer = flow.data["question"], flow.data["answer"]
        language = detect_language(question)
        if flow.data.get("message_ids"):
            entry = await admin.resolve_as_new_faq(
                flow.data["message_ids"],
                question=question,
                answer=answer,
                author=author,
                language=language,
            )
        else:
            entry = await admin.add_faq(
                question=question, answer=answer, author=author, language=language
            )
        return f"Saved as FAQ entry #{entry.id}."
    except AdminError as exc:
        return f"Not saved: {exc}"
