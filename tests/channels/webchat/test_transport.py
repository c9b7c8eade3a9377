"""Messages up, events down: stored before the 202, streamed, resumed by id without gap or
repeat, confirmed by the browser, and each client message id stored once."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.channels.webchat import build_webchat, create_app
from bot.config import Settings
from storage.models import InboxItem, OutboxItem
from tests.channels.webchat.conftest import OTHER_QUESTION, QUESTION, SHOP, Served, read_events


async def test_a_message_is_in_the_inbox_before_it_is_acknowledged(
    web_settings: Settings,
) -> None:
    """No worker runs here: what the 202 promises is only that the message is on disk."""
    import httpx

    from bot.app import open_app
    from bot.engine.fake import FakeEngine

    async with open_app(web_settings, engine=FakeEngine()) as app:
        chat = build_webchat(app, web_settings)
        transport = httpx.ASGITransport(app=create_app(chat))
        async with httpx.AsyncClient(transport=transport, base_url="http://chat.test") as client:
            token = (await client.post("/api/visitor", json={})).json()["token"]
            auth = {"authorization": f"Bearer {token}", "origin": SHOP}
            body = {"id": "c1", "kind": "text", "text": QUESTION, "lang": "en"}
            first = await client.post("/api/messages", json=body, headers=auth)
            again = await client.post("/api/messages", json=body, headers=auth)  # a retry
        assert first.status_code == again.status_code == 202
        async with app.session_factory() as s:
            items = list(await s.scalars(select(InboxItem).where(InboxItem.channel == "web")))
        assert [item.payload["text"] for item in items] == [QUESTION]
        assert items[0].state == "pending" and items[0].chat_id >= 1 << 62


async def test_answers_stream_and_resume_after_the_last_event_id(served: Served) -> None:
    token = await served.visitor()
    assert (await served.say(token, QUESTION, "q1")).status_code == 202
    first = await read_events(served.client, token, 1)
    assert len(first) == 1 and first[0]["type"] == "answer"
    assert first[0]["question"] == QUESTION and first[0]["cid"] == "q1"
    assert "business days" in first[0]["text"] or first[0]["mode"] == "faq"

    assert (await served.say(token, OTHER_QUESTION, "q2")).status_code == 202
    # A reconnect naming the first event gets exactly the second, not the first again.
    resumed = await read_events(served.client, token, 5, last_event_id=first[0]["id"], within=3)
    assert [e["cid"] for e in resumed] == ["q2"]
    assert resumed[0]["id"] > first[0]["id"]
    # From the start (a reload), the whole conversation in order, each event once.
    everything = await read_events(served.client, token, 5, after=0, within=2)
    assert [e["cid"] for e in everything] == ["q1", "q2"]
    # Nothing after the last one.
    assert await read_events(served.client, token, 1, after=resumed[0]["id"], within=1) == []


async def test_events_stay_pending_until_the_browser_confirms_them(served: Served) -> None:
    token = await served.visitor()
    await served.say(token, QUESTION, "q1")
    [event] = await read_events(served.client, token, 1)
    async with served.app.session_factory() as s:
        row = await s.get(OutboxItem, event["id"])
        assert row is not None and row.state == "pending"
    auth = {"authorization": f"Bearer {token}", "origin": SHOP}
    confirmed = await served.client.post("/api/confirm", json={"upto": event["id"]}, headers=auth)
    assert confirmed.json() == {"confirmed": 1}
    async with served.app.session_factory() as s:
        row = await s.get(OutboxItem, event["id"])
        assert row is not None and row.state == "sent"


async def test_a_message_sent_twice_is_answered_once(served: Served) -> None:
    token = await served.visitor()
    for _ in range(3):  # the widget retries after a lost response
        assert (await served.say(token, QUESTION, "same")).status_code == 202
    await served.say(token, OTHER_QUESTION, "next")
    events = await read_events(served.client, token, 3, within=3)
    assert [e["cid"] for e in events] == ["same", "next"]


async def test_an_answer_is_streamed_before_it_is_stored(served: Served) -> None:
    """The text as it is generated goes out as ``partial`` events (no id), then the stored
    answer with the same item replaces it."""
    token = await served.visitor()
    seen: list[tuple[str, dict[str, object]]] = []
    params, headers = {"token": token}, {"origin": SHOP}
    async with served.client.stream("GET", "/api/events", params=params, headers=headers) as r:
        lines = r.aiter_lines()
        assert (await anext(lines)).startswith("retry:")  # the stream is listening now
        assert (await served.say(token, QUESTION, "q1")).status_code == 202
        kind = "message"
        async for line in lines:
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                seen.append((kind, json.loads(line[6:])))
                if kind == "message":
                    break
                kind = "message"
    kinds = [kind for kind, _ in seen]
    assert kinds[0] == "partial" and kinds[-1] == "message"
    partial, stored = seen[0][1], seen[-1][1]
    assert partial["item"] == stored["item"] and "id" not in partial
    assert str(stored["text"]).startswith(str(partial["text"]))
