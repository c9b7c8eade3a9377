"""The terminal chat: the same ConversationService as Telegram, on stdin/stdout.

Replies stream as the model produces them (only checked sentences, see
``bot.conversation.grounding``). A focused answer is followed by the rest of its entry; "did
you mean" choices are numbered, and typing a number sends that entry. ``/reset`` starts a new
conversation, ``/quit`` (or end of input) leaves. Streams are passed in, so tests drive it
with in-memory text instead of a terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import TextIO

from bot.conversation.exchange import AnswerMode, Choice, Incoming, Reply
from bot.conversation.service import ConversationService
from bot.conversation.texts import Texts

CHANNEL = "console"
CONSOLE_USER_ID = 1
QUIT_COMMANDS = frozenset({"/quit", "/exit", "/q"})
RESET_COMMAND = "/reset"


async def _read_line(stream: TextIO) -> str | None:
    """One line without blocking the event loop (the scheduler keeps running meanwhile).

    The read runs in a daemon thread rather than the default executor: on Ctrl-C the loop must
    not wait at shutdown for a ``readline`` that only returns when someone presses Enter.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def deliver(line: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line or "")

    def read() -> None:
        try:
            line, error = stream.readline(), None
        except Exception as exc:  # handed to the awaiting task
            line, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop may be closed by now
            loop.call_soon_threadsafe(deliver, line, error)

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    line = await future
    return None if line == "" else line.rstrip("\r\n")


def _write(stream: TextIO, text: str) -> None:
    stream.write(text)
    stream.flush()


async def run_console(
    service: ConversationService,
    *,
    stdin: TextIO,
    stdout: TextIO,
    user_id: int = CONSOLE_USER_ID,
    language: str | None = None,
) -> int:
    """Chat until ``/quit`` or end of input; returns how many messages were answered."""
    texts = service.texts
    _write(stdout, texts.get("welcome", language) + "\n")
    answered = 0
    offered: Reply | None = None  # the last reply's "did you mean" choices, picked by number
    while True:
        _write(stdout, texts.get("console_prompt", language))
        line = await _read_line(stdin)
        if line is None or line.strip().lower() in QUIT_COMMANDS:
            _write(stdout, ("\n" if line is None else "") + texts.get("console_goodbye", language))
            _write(stdout, "\n")
            return answered
        if not line.strip():
            continue
        if line.strip().lower() == RESET_COMMAND:
            await service.accounts.reset(CHANNEL, user_id, user_id)
            _write(stdout, texts.get("reset_done", language) + "\n")
            continue
        picked = _picked(offered, line)
        if offered is not None and picked is not None:
            choice = await service.choices.choose(
                CHANNEL, user_id, offered.user_message_id or 0, picked.faq_id
            )
            offered = None
            if choice is not None:
                _write(stdout, texts.get("console_bot", language) + choice.text + "\n")
                _write(stdout, "".join(_extra_lines(choice, texts)))
                answered += 1
                continue
        incoming = Incoming(
            user_id=user_id, chat_id=user_id, text=line, channel=CHANNEL, language_hint=language
        )
        _write(stdout, texts.get("console_bot", language))
        reply = await service.handle(incoming, on_text=lambda piece: _write(stdout, piece))
        answered += 1
        offered = reply if reply.choices else None
        _write(stdout, "\n" + "".join(_extra_lines(reply, texts)))


def _extra_lines(reply: Reply, texts: Texts) -> list[str]:
    """What follows a reply's text: the rest of a focused answer, choices, related questions."""
    extra: list[str] = []
    if reply.more:
        extra.append(reply.more)
    extra.extend(source.url for source in reply.sources if source.url)
    if reply.choices:
        extra.extend(f"  {n}. {c.question}" for n, c in enumerate(reply.choices, start=1))
        extra.append(texts.get("choice_prompt", reply.language))
    if reply.related_questions:
        extra.append(texts.get("related_header", reply.language))
        extra.extend(f"  - {question}" for question in reply.related_questions)
    if reply.mode is AnswerMode.HUMAN:
        extra.append(texts.get("handoff_waiting", reply.language))
    return [f"{line}\n" for line in extra]


def _picked(offered: Reply | None, line: str) -> Choice | None:
    """The choice a typed number names ("2"), None when the line is not one of them."""
    text = line.strip().rstrip(".")
    if offered is None or not text.isdigit():
        return None
    number = int(text)
    return offered.choices[number - 1] if 1 <= number <= len(offered.choices) else None
