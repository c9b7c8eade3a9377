"""Everything customers get on Telegram, through the web chat: "More", "did you mean", 👍/👎,
a person (whose reply arrives in the open stream), /forget, starting over."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.channels.webchat import WebMessenger
from bot.channels.webchat.messenger import reaching_web_visitors
from storage.models import Feedback, Message
from tests.channels.webchat.conftest import QUESTION, Served, read_events


async def test_a_focused_answer_offers_more_and_can_be_rated(served: Served) -> None:
    token = await served.visitor()
    await served.say(token, QUESTION, "q1")
    [answer] = await read_events(served.client, token, 1)
    assert answer["mode"] == "faq" and answer["more"] and answer["rate"]
    assert answer["more"] not in answer["text"]  # the rest stays behind the button
    await served.act(token, id="f1", kind="feedback", message_id=answer["message_id"], rating=1)
    events = await read_events(served.client, token, 1, after=answer["id"])
    assert events[0]["type"] == "notice" and events[0]["rated"] == answer["message_id"]
    async with served.app.session_factory() as s:
        assert await s.scalar(select(func.count(Feedback.id))) == 1


async def test_did_you_mean_then_a_pick_answers_the_question(served: Served) -> None:
    token = await served.visitor()
    await served.say(token, "my order", "q1")
    [offer] = await read_events(served.client, token, 1)
    assert offer["mode"] == "choice" and len(offer["choices"]) >= 2
    pick = offer["choices"][0]
    await served.act(
        token,
        id="p1",
        kind="choice",
        question_id=offer["question_id"],
        entry_id=pick["id"],
        label=pick["question"],
    )
    [answer] = await read_events(served.client, token, 1, after=offer["id"])
    assert answer["type"] == "answer" and answer["mode"] == "faq"
    assert answer["question"] == pick["question"] and answer["text"]


async def test_a_person_answers_live_from_the_console(served: Served) -> None:
    token = await served.visitor()
    await served.act(token, id="h1", kind="human", lang="en")
    [started] = await read_events(served.client, token, 1)
    assert started["type"] == "notice" and started["with_human"] is True
    await served.say(token, "Where is my parcel?", "q1")  # stored for the agents, not answered
    [received] = await read_events(served.client, token, 1, after=started["id"])
    assert received["type"] == "received"
    [waiting] = (await served.app.handoff.overdue(after=timedelta(0)))[:1]
    # The stream is open and waiting while the agent answers.
    listening = asyncio.create_task(read_events(served.client, token, 2, after=received["id"]))
    # The console's own hand-off service and messenger, as `supportbot console` wires them.
    console_messenger = reaching_web_visitors(served.app, served.app.settings, None)
    assert console_messenger is not None
    await served.app.handoff.reply_through(
        console_messenger, waiting.session_id, "It left our warehouse today.", joined_notice="Hi!"
    )
    served.chat.worker.notify()
    live = await listening
    assert [(e["type"], e["text"]) for e in live] == [
        ("agent", "Hi!"),
        ("agent", "It left our warehouse today."),
    ]
    await served.act(token, id="b1", kind="bot")
    [back] = await read_events(served.client, token, 1, after=live[-1]["id"])
    assert back["with_human"] is False


async def test_forget_deletes_the_conversation_and_its_events(served: Served) -> None:
    token = await served.visitor()
    await served.say(token, QUESTION, "q1")
    [answer] = await read_events(served.client, token, 1)
    await served.act(token, id="f1", kind="forget")
    [done] = await read_events(served.client, token, 1, after=answer["id"])
    assert done["type"] == "notice"
    events = await read_events(served.client, token, 5, after=0, within=1)
    assert [e["type"] for e in events] == ["notice"] and events[0]["forgotten"] is True
    async with served.app.session_factory() as s:
        texts = list(await s.scalars(select(Message.text)))
    assert QUESTION not in texts


async def test_an_agent_reply_reaches_only_web_visitors(served: Served) -> None:
    from bot.conversation import Customer, HandoffError

    messenger = WebMessenger(served.chat.delivery)
    telegram_customer = Customer(1, 42, 42, None, "en")
    try:
        await messenger.send(telegram_customer, "hello")
    except HandoffError:
        return
    raise AssertionError("a Telegram chat id was accepted by the web messenger")
