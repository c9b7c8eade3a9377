"""Inline keyboards and their callback data, in one place so senders and handlers agree.

Callback data is limited to 64 bytes by Telegram, so buttons carry short prefixes and ids;
anything larger (a group of unanswered questions) is kept server-side under a short token.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.telegram_texts import LANGUAGE_NAMES, channel_text
from bot.conversation.exchange import Choice, Source, entry_ref
from bot.knowledge.entries import FaqId

FEEDBACK = "fb"  # fb:<+1|-1>:<message id>
ASK = "ask"  # ask:<faq id>  (an example question from /start)
HUMAN = "human"  # start a hand-off
FORGET = "forget"  # forget:yes | forget:no
LANGUAGE = "lang"  # lang:<code>
DONE = "done"  # done:<session id>  (on a ticket in the support chat)
FAQ_DELETE = "faqdel"  # faqdel:<id> | faqdel:no
FLOW = "flow"  # flow:save | flow:cancel  (guided admin dialogues)
UNANSWERED = "unans"  # unans:new:<token> | unans:var:<token>:<faq id>
PICK = "pick"  # pick:<question message id>:<entry ref>  ("did you mean…" choice)
# more:<entry ref>:<lead sentence positions, dot-separated>  (rest of a focused answer);
# an entry ref is a FAQ entry's id or "p<id>" for a help-centre passage (``entry_ref``)
MORE = "more"
ADMIN_PREFIXES = (FAQ_DELETE, FLOW, UNANSWERED)


def feedback_keyboard(message_id: int, language: str, *, offer_human: bool) -> InlineKeyboardMarkup:
    """👍 / 👎 under an answer, plus "talk to a person" when the answer offers one."""
    rows = [
        [
            InlineKeyboardButton("👍", callback_data=f"{FEEDBACK}:+1:{message_id}"),
            InlineKeyboardButton("👎", callback_data=f"{FEEDBACK}:-1:{message_id}"),
        ]
    ]
    if offer_human:
        rows.append([human_button(language)])
    return InlineKeyboardMarkup(rows)


def choice_rows(question_id: int, choices: Sequence[Choice]) -> list[list[InlineKeyboardButton]]:
    """One button per offered entry; tapping it sends that entry as the answer."""
    return [
        [
            InlineKeyboardButton(
                c.question[:64], callback_data=f"{PICK}:{question_id}:{entry_ref(c.faq_id)}"
            )
        ]
        for c in choices
    ]


def more_row(reference: tuple[FaqId, Sequence[int]], label: str) -> list[InlineKeyboardButton]:
    """The "More" button under a focused answer (the rest of the entry, on tap)."""
    entry_id, lead = reference
    data = f"{MORE}:{entry_ref(entry_id)}:{'.'.join(str(i) for i in lead)}"[:64]
    return [InlineKeyboardButton(label, callback_data=data)]


def source_rows(sources: Sequence[Source]) -> list[list[InlineKeyboardButton]]:
    """A link button per source article with an address ("📄 Picture › Picture mode")."""
    return [
        [InlineKeyboardButton(f"📄 {source.label}"[:64], url=source.url)]
        for source in sources
        if source.url and source.url.startswith(("https://", "http://"))
    ]


def human_button(language: str | None) -> InlineKeyboardButton:
    return InlineKeyboardButton(channel_text("button_human", language), callback_data=HUMAN)


def human_keyboard(language: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[human_button(language)]])


def examples_keyboard(questions: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup | None:
    """One button per example question (tapping it asks it)."""
    if not questions:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(text[:64], callback_data=f"{ASK}:{faq_id}")]
            for faq_id, text in questions
        ]
    )


def forget_keyboard(language: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    channel_text("button_yes_delete", language), callback_data=f"{FORGET}:yes"
                ),
                InlineKeyboardButton(
                    channel_text("button_cancel", language), callback_data=f"{FORGET}:no"
                ),
            ]
        ]
    )


def language_keyboard(languages: Sequence[str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    LANGUAGE_NAMES.get(code, code), callback_data=f"{LANGUAGE}:{code}"
                )
                for code in languages
            ]
        ]
    )


def ticket_keyboard(session_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("✅ Done: back to the bot", callback_data=f"{DONE}:{session_id}")]]
    )


def confirm_keyboard(yes: str, yes_data: str, no_data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(yes, callback_data=yes_data),
                InlineKeyboardButton("Cancel", callback_data=no_data),
            ]
        ]
    )


def unanswered_keyboard(token: str, best_entry: int | None) -> InlineKeyboardMarkup:
    row = [InlineKeyboardButton("➕ New FAQ", callback_data=f"{UNANSWERED}:new:{token}")]
    if best_entry is not None:
        row.append(
            InlineKeyboardButton(
                f"➕ Phrasing of #{best_entry}",
                callback_data=f"{UNANSWERED}:var:{token}:{best_entry}",
            )
        )
    return InlineKeyboardMarkup([row])
