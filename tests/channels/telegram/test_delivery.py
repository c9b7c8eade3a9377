"""Nothing lost, nothing twice: the durable inbox and outbox with the real bot in this process.

The subprocess tests (SIGKILL, SIGTERM) are in ``test_restarts.py``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import select
from telegram.ext import Application

from bot.channels.telegram import serving
from bot.channels.telegram.send_lane import SENDS_IN_FLIGHT
from bot.config import Settings
from bot.observability import events
from storage.models import Message
from tests.channels.telegram.conftest import (
    ADMIN_ID,
    FAST,
    Opener,
    ScriptedConversation,
    is_final,
    replies,
    services,
    settled,
    with_conversation,
)
from tests.channels.telegram.fake_bot_api import FakeBotApi
from tests.channels.telegram.test_running import _free_port

SHIPPING_Q = "How long does shipping take?"
SHIPPING_A = "3-5 business days"
PAYMENT_Q = "What payment methods do you accept?"


def answers_to(api: FakeBotApi, chat_id: int, fragment: str) -> int:
    return sum(fragment in m.get("text", "") for m in api.bot_messages(chat_id) if is_final(m))


async def test_a_redelivered_update_is_answered_once(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, SHIPPING_Q)
    await replies(fake_api, 7, 1)
    fake_api.redeliver(fake_api.pushed[-1], new_id=True)  # the same message, a new update id
    fake_api.send_text(ann, PAYMENT_Q)
    await replies(fake_api, 7, 2)
    await settled(bot)
    assert answers_to(fake_api, 7, SHIPPING_A) == 1
    async with services(bot).app.session_factory() as db:
        asked = list(await db.scalars(select(Message.text).where(Message.role == "user")))
    assert asked == [SHIPPING_Q, PAYMENT_Q]


def counted(metric: str, **labels: str) -> float:
    """A sample of the process-wide event counters (what ``/metrics`` shows)."""
    return events.REGISTRY.get_sample_value(metric, labels) or 0.0


async def test_a_5xx_or_reset_on_send_is_retried(bot: Application, fake_api: FakeBotApi) -> None:
    network_errors = counted("supportbot_bot_api_errors_total", code="network")
    marks = counted("supportbot_sent_mark_seconds_count")
    ann = fake_api.user(7, "Ann")
    fake_api.fail("sendMessage", status=502, times=2)
    fake_api.fail("sendMessage", status=0, times=1)  # a reset connection
    fake_api.send_text(ann, SHIPPING_Q)
    [answer] = await replies(fake_api, 7, 1, within=20)
    assert SHIPPING_A in answer
    statuses = [c.status for c in fake_api.calls if c.method == "sendMessage"]
    assert statuses == [502, 502, 0, 200]
    await settled(bot)
    assert counted("supportbot_bot_api_errors_total", code="network") == network_errors + 3
    assert counted("supportbot_sent_mark_seconds_count") >= marks + 1  # the window, measured


async def test_at_most_four_replies_are_in_flight_the_most_a_crash_can_repeat(
    bot: Application, fake_api: FakeBotApi
) -> None:
    fake_api.sends_held = asyncio.Event()  # Telegram takes the requests and does not answer
    customers = [fake_api.user(100 + i, f"Customer {i}") for i in range(10)]
    for customer in customers:
        fake_api.send_text(customer, SHIPPING_Q)
    await fake_api.wait_until(lambda: fake_api.sends_in_flight == SENDS_IN_FLIGHT or None)
    lane = bot.bot_data.runtime.lane
    async with asyncio.timeout(20):  # the lane runs on its own thread: nothing to await on
        while lane.waiting < len(customers) - SENDS_IN_FLIGHT:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    assert fake_api.sends_in_flight == SENDS_IN_FLIGHT  # the other six wait for a slot
    fake_api.sends_held.set()
    for customer in customers:
        assert SHIPPING_A in (await replies(fake_api, customer["id"], 1, within=20))[0]
    assert fake_api.most_sends_in_flight == SENDS_IN_FLIGHT  # ten answers ready, four sent


async def test_a_reply_telegram_keeps_refusing_waits_in_the_outbox_and_goes_out_in_order(
    tg_settings: Settings, opener: Opener, fake_api: FakeBotApi
) -> None:
    settings = tg_settings.model_copy(update={"send_retry_seconds": 0.3})
    ann = fake_api.user(7, "Ann")
    fake_api.fail("sendMessage", status=502, times=4)  # longer than one retry window
    async with serving(settings, opener, tuning=FAST) as application:
        fake_api.send_text(ann, SHIPPING_Q)
        fake_api.send_text(ann, PAYMENT_Q)
        texts = await replies(fake_api, 7, 2, within=30)
        await settled(application)
    assert SHIPPING_A in texts[0] and SHIPPING_A not in texts[1], "first question first"
    assert answers_to(fake_api, 7, SHIPPING_A) == 1


async def test_a_message_older_than_the_limit_gets_an_apology_and_a_person(
    bot: Application, fake_api: FakeBotApi
) -> None:
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, SHIPPING_Q, date=time.time() - 2 * 3600)
    [text] = await replies(fake_api, 7, 1)
    assert "could not answer your message in time" in text and SHIPPING_Q in text
    markup = fake_api.bot_messages(7)[0]["reply_markup"]["inline_keyboard"]
    assert markup[0][0]["callback_data"] == "human"
    fake_api.send_text(ann, SHIPPING_Q)  # asked again now: answered
    assert SHIPPING_A in (await replies(fake_api, 7, 2))[1]
    async with services(bot).app.session_factory() as db:
        flagged = list(await db.scalars(select(Message.unanswered).where(Message.role == "user")))
    assert flagged[0] is True


async def test_stop_hands_an_answer_in_progress_back_and_the_next_start_answers_it(
    tg_settings: Settings, opener: Opener, fake_api: FakeBotApi
) -> None:
    settings = tg_settings.model_copy(update={"shutdown_grace_seconds": 0.2})
    scripted: list[ScriptedConversation] = []
    held_opener = with_conversation(opener, ScriptedConversation, scripted)

    ann = fake_api.user(7, "Ann")
    async with serving(settings, held_opener, tuning=FAST) as application:
        scripted[0].script(SHIPPING_Q)  # never answered in this run
        fake_api.send_text(ann, SHIPPING_Q)
        fake_api.send_text(ann, PAYMENT_Q)
        await fake_api.wait_until(lambda: fake_api.sent("sendChatAction", 7))
        delivery = services(application).delivery
    assert await delivery.open_count() == 2, "both messages are still in the inbox"
    assert fake_api.pending_updates == 0, "and Telegram was told they arrived"
    async with serving(settings, opener, tuning=FAST):
        texts = await replies(fake_api, 7, 3, within=20)
    assert "restarting" in texts[0]
    assert SHIPPING_A in texts[1] and SHIPPING_A not in texts[2]
    assert await delivery.open_count() == 0


async def test_webhook_answers_200_only_once_stored_and_a_retry_is_answered_once(
    tg_settings: Settings, opener: Opener, fake_api: FakeBotApi
) -> None:
    port = _free_port()
    settings = tg_settings.model_copy(
        update={
            "webhook_url": "https://bot.example.com/hook",
            "webhook_port": port,
            "webhook_secret": SecretStr("s3cret"),
        }
    )
    ann = fake_api.user(7, "Ann")
    update = {
        "update_id": 77,
        "message": {
            "message_id": 5,
            "date": int(time.time()),
            "chat": fake_api.chats[7],
            "from": ann,
            "text": SHIPPING_Q,
        },
    }
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    async with serving(settings, opener, tuning=FAST, webhook=True) as application:
        async with httpx.AsyncClient() as client:
            for _ in range(3):  # Telegram retries a delivery it thinks failed
                sent = await client.post(
                    f"http://127.0.0.1:{port}/hook", json=update, headers=headers
                )
                assert sent.status_code == 200
        await replies(fake_api, 7, 1)
        await settled(application)
    assert answers_to(fake_api, 7, SHIPPING_A) == 1


async def test_an_admin_dialogue_and_flood_counts_survive_a_restart(
    tg_settings: Settings, opener: Opener, fake_api: FakeBotApi
) -> None:
    admin, ann = fake_api.user(ADMIN_ID, "Ada"), fake_api.user(7, "Ann")
    settings = tg_settings.model_copy(update={"rate_limit_per_minute": 2})
    async with serving(settings, opener, tuning=FAST) as application:
        fake_api.send_text(admin, "/faq_add")
        await replies(fake_api, ADMIN_ID, 1)
        fake_api.send_text(admin, "Do you sell zebra-striped umbrellas?")
        await replies(fake_api, ADMIN_ID, 2)
        for question in (SHIPPING_Q, PAYMENT_Q):
            fake_api.send_text(ann, question)
        await replies(fake_api, 7, 2)
        await settled(application)
    async with serving(settings, opener, tuning=FAST):
        fake_api.send_text(admin, "Yes, zebra-striped umbrellas are in the rain section.")
        assert "Save this entry?" in (await replies(fake_api, ADMIN_ID, 3))[2]
        fake_api.send_text(ann, SHIPPING_Q)  # a third message within the minute
        assert "very quickly" in (await replies(fake_api, 7, 3))[2]


class DiesAfterStoring:
    """The real conversation, except that after storing the question and the reply it hangs
    forever: the run is stopped (or killed) before the reply is kept with the item or sent."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.stored = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def handle(self, incoming: Any, on_text: Any = None) -> Any:
        await self.real.handle(incoming)
        self.stored.set()
        await asyncio.Event().wait()


async def test_a_replay_after_the_answer_was_stored_stores_neither_question_nor_reply_again(
    tg_settings: Settings, opener: Opener, fake_api: FakeBotApi
) -> None:
    settings = tg_settings.model_copy(update={"shutdown_grace_seconds": 0.2})
    dying: list[DiesAfterStoring] = []
    dying_opener = with_conversation(opener, DiesAfterStoring, dying)

    ann = fake_api.user(7, "Ann")
    async with serving(settings, dying_opener, tuning=FAST) as application:
        fake_api.send_text(ann, SHIPPING_Q)
        await asyncio.wait_for(dying[0].stored.wait(), 10)
    async with serving(settings, opener, tuning=FAST) as application:
        await fake_api.wait_until(lambda: answers_to(fake_api, 7, SHIPPING_A) or None)
        await settled(application)
        async with services(application).app.session_factory() as db:
            rows = list(await db.execute(select(Message.role, Message.text).order_by(Message.id)))
    assert answers_to(fake_api, 7, SHIPPING_A) == 1
    assert [role for role, _ in rows] == ["user", "assistant"], rows
    assert rows[0][1] == SHIPPING_Q and SHIPPING_A in rows[1][1]


async def test_a_preview_cut_by_a_restart_is_finished_in_place_not_left_half_written(
    tg_settings: Settings, opener: Opener, fake_api: FakeBotApi
) -> None:
    settings = tg_settings.model_copy(update={"shutdown_grace_seconds": 0.2})
    story = "tell me a story"
    runs: list[ScriptedConversation] = []

    def scripted_story(real: Any) -> ScriptedConversation:
        conversation = ScriptedConversation(real)
        conversation.script(story)  # before the replay at start can reach it
        return conversation

    scripted_opener = with_conversation(opener, scripted_story, runs)

    ann = fake_api.user(7, "Ann")
    tuning = replace(FAST, edit_interval=0.05, first_chunk_delay=0.0)
    async with serving(settings, scripted_opener, tuning=tuning):
        fake_api.send_text(ann, story)
        runs[0].script(story).put_nowait("Once")
        await fake_api.wait_until(lambda: fake_api.sent("sendMessage", 7))
        [preview] = fake_api.bot_messages(7)
        runs[0].script(story).put_nowait(" upon")  # an edit follows once the preview is kept
        await fake_api.wait_until(lambda: fake_api.sent("editMessageText", 7))
    async with serving(settings, scripted_opener, tuning=tuning):
        for piece in ("Once upon a time.", None):
            runs[1].script(story).put_nowait(piece)
        await fake_api.wait_until(
            lambda: any(m["text"] == "Once upon a time." for m in fake_api.bot_messages(7))
        )
    shown = [m for m in fake_api.bot_messages(7) if "restarting" not in m["text"]]
    assert [m["text"] for m in shown] == ["Once upon a time."]  # no half-written preview left
    assert shown[0]["message_id"] == preview["message_id"]  # finished in place
