"""The bot in its own process, killed or stopped mid-answer: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.config import PROJECT_ROOT, Settings
from storage.db import make_engine, make_session_factory
from storage.models import InboxItem, InboxState, Message
from tests.channels.telegram.bot_process import HOLD
from tests.channels.telegram.conftest import is_final, replies
from tests.channels.telegram.fake_bot_api import FakeBotApi

SHIPPING_Q = "How long does shipping take?"
SHIPPING_A = "3-5 business days"
PAYMENT_Q = "What payment methods do you accept?"


async def start_bot(
    settings: Settings, api: FakeBotApi, tmp_path: Path, **env: str
) -> asyncio.subprocess.Process:
    environment = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "SUPPORTBOT_DATABASE_URL": settings.database_url,
        "SUPPORTBOT_TELEGRAM_TOKEN": settings.telegram_token.get_secret_value(),  # type: ignore[union-attr]
        "SUPPORTBOT_TELEGRAM_BASE_URL": api.base_url,
        "SUPPORTBOT_EMBEDDING_MODEL": "none",
        "SUPPORTBOT_MODEL_CACHE_DIR": str(tmp_path / "models"),
        "SUPPORTBOT_INSTANCE_NAME": "test-host",
        **env,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.channels.telegram.bot_process",
        env=environment,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def wait_for_line(process: asyncio.subprocess.Process, line: str, within: float) -> None:
    async def scan() -> None:
        assert process.stdout is not None
        while (got := await process.stdout.readline()) and got.decode().strip() != line:
            pass
        assert got, f"the bot exited before printing {line!r}"

    await asyncio.wait_for(scan(), within)


async def replies_after_restart(
    settings: Settings, api: FakeBotApi, tmp_path: Path, count: int
) -> list[str]:
    """Start the bot again, wait for ``count`` finished replies in chat 7, stop it cleanly."""
    again = await start_bot(settings, api, tmp_path)
    try:
        texts = await replies(api, 7, count, within=60)
        again.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(again.wait(), 30) == 0
        return texts
    finally:
        if again.returncode is None:
            again.kill()
            await again.wait()


async def open_items(settings: Settings) -> tuple[int, int]:
    """(inbox items not done, stored customer messages) as the database has them now."""
    engine = make_engine(settings.database_url)
    try:
        async with make_session_factory(engine)() as db:
            waiting = await db.scalar(
                select(func.count(InboxItem.id)).where(InboxItem.state != InboxState.DONE.value)
            )
            asked = await db.scalar(select(func.count(Message.id)).where(Message.role == "user"))
        return int(waiting or 0), int(asked or 0)
    finally:
        await engine.dispose()


def answers(api: FakeBotApi, fragment: str) -> int:
    return sum(fragment in m.get("text", "") for m in api.bot_messages(7) if is_final(m))


async def test_killed_between_storing_and_answering_answers_after_restart(
    tg_settings: Settings, fake_api: FakeBotApi, tmp_path: Path
) -> None:
    ann = fake_api.user(7, "Ann")
    held = await start_bot(tg_settings, fake_api, tmp_path, **{HOLD: SHIPPING_Q})
    try:
        await wait_for_line(held, "opened", 60)
        fake_api.send_text(ann, SHIPPING_Q)
        await wait_for_line(held, "holding", 30)
    finally:
        held.send_signal(signal.SIGKILL)
        await held.wait()
    assert fake_api.bot_texts(7) == []
    assert (await open_items(tg_settings))[0] == 1, "stored, not answered"
    again = await start_bot(tg_settings, fake_api, tmp_path)
    try:
        [text] = await replies(fake_api, 7, 1, within=60)
        assert SHIPPING_A in text
        again.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(again.wait(), 30) == 0
    finally:
        if again.returncode is None:
            again.kill()
            await again.wait()
    assert answers(fake_api, SHIPPING_A) == 1
    assert await open_items(tg_settings) == (0, 1)


async def test_sigterm_leaves_unanswered_messages_in_the_inbox_for_the_next_start(
    tg_settings: Settings, fake_api: FakeBotApi, tmp_path: Path
) -> None:
    ann = fake_api.user(7, "Ann")
    held = await start_bot(
        tg_settings,
        fake_api,
        tmp_path,
        SUPPORTBOT_SHUTDOWN_GRACE_SECONDS="0.5",
        **{HOLD: SHIPPING_Q},
    )
    try:
        await wait_for_line(held, "opened", 60)
        fake_api.send_text(ann, SHIPPING_Q)
        fake_api.send_text(ann, PAYMENT_Q)
        await wait_for_line(held, "holding", 30)
        held.send_signal(signal.SIGTERM)
        await wait_for_line(held, "exited", 30)
        assert await asyncio.wait_for(held.wait(), 10) == 0
    finally:
        if held.returncode is None:
            held.kill()
            await held.wait()
    assert (await open_items(tg_settings))[0] == 2, "both messages wait in the inbox"
    texts = await replies_after_restart(tg_settings, fake_api, tmp_path, 3)
    assert "restarting" in texts[0]
    assert SHIPPING_A in texts[1] and SHIPPING_A not in texts[2], "in the order sent"
    assert answers(fake_api, SHIPPING_A) == 1
    assert (await open_items(tg_settings))[0] == 0


async def stored_turns(settings: Settings) -> list[tuple[str, str | None, str]]:
    """(role, origin, text) of every stored message, in stored order."""
    engine = make_engine(settings.database_url)
    try:
        async with make_session_factory(engine)() as db:
            rows = await db.execute(
                select(Message.role, Message.origin, Message.text).order_by(Message.id)
            )
            return [(role, origin, text or "") for role, origin, text in rows]
    finally:
        await engine.dispose()


async def test_a_replay_after_sigkill_gives_each_update_its_own_reply(
    tg_settings: Settings, fake_api: FakeBotApi, tmp_path: Path
) -> None:
    # Issue 22: A, B, C sent at once; the bot is killed while B is being answered, so after
    # the restart B is replayed with C waiting behind it. Every stored reply must be the one
    # computed for its own update (same origin key, the answer to that question).
    wanted = {
        "How do I check my gift card balance?": "Enter the gift card code",
        PAYMENT_Q: "We accept Visa",
        "Do you ship internationally?": "we ship to",
    }
    ann = fake_api.user(7, "Ann")
    held = await start_bot(tg_settings, fake_api, tmp_path, **{HOLD: PAYMENT_Q})
    try:
        await wait_for_line(held, "opened", 60)
        for question in wanted:
            fake_api.send_text(ann, question)
        await wait_for_line(held, "holding", 30)
    finally:
        held.send_signal(signal.SIGKILL)
        await held.wait()
    texts = await replies_after_restart(tg_settings, fake_api, tmp_path, 3)
    assert [next(a for q, a in wanted.items() if a in t) for t in texts] == list(wanted.values())
    turns = await stored_turns(tg_settings)
    questions = {origin: text for role, origin, text in turns if role == "user"}
    replies_by_origin = {origin: text for role, origin, text in turns if role == "assistant"}
    assert len(questions) == len(replies_by_origin) == 3, turns
    for origin, reply in replies_by_origin.items():
        assert wanted[questions[origin]] in reply, (origin, questions[origin], reply[:60])
