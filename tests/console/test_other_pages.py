"""Unanswered inbox, conversations, hand-offs and quality over HTTP, on real stored turns."""

from __future__ import annotations

import json

from bot.conversation.exchange import Incoming
from tests.console.conftest import Console

ODD = "do you rent submarines to astronauts"


async def _ask(console: Console, user: int, text: str, name: str = "Ana") -> None:
    await console.app.conversation.handle(
        Incoming(user, user, text, channel="telegram", user_name=name)
    )


async def test_unanswered_group_becomes_phrasings_of_an_entry(console: Console) -> None:
    csrf = await console.login()
    await _ask(console, 7, ODD)
    await _ask(console, 8, "Do you rent submarines to astronauts?")
    inbox = await console.client.get("/unanswered")
    assert "submarines" in inbox.text and "×2" in inbox.text
    assert "/faq/new?question=" in inbox.text  # one click to a pre-filled entry
    ids = inbox.text.split('name="ids" value="')[1].split('"')[0]
    attached = await console.client.post(
        "/unanswered/attach", data={"csrf": csrf, "ids": ids, "entry_id": "3", "text": [ODD]}
    )
    assert attached.status_code == 303
    after = await console.client.get("/unanswered")
    assert (
        "Now “do you rent submarines to astronauts” → " in after.text and "entry #3" in after.text
    )
    entry = await console.app.admin.show_faq(3)
    assert any("submarines" in variant for variant in entry.variants)
    assert "submarines" not in (await console.client.get("/unanswered")).text
    assert console.services.preview.answer(ODD).entry_id == 3


async def test_new_entry_prefilled_from_a_group(console: Console) -> None:
    csrf = await console.login()
    await _ask(console, 7, ODD)
    inbox = await console.client.get("/unanswered")
    link = inbox.text.split('class="button" href="')[1].split('"')[0].replace("&amp;", "&")
    form = await console.client.get(link)
    assert "submarines" in form.text
    ids = form.text.split('name="message_ids" value="')[1].split('"')[0]
    created = await console.client.post(
        "/faq/new",
        data={
            "csrf": csrf,
            "question": "Do you rent submarines to astronauts?",
            "answer": "No, sorry.",
            "message_ids": ids,
            "language": "en",
            "enabled": "on",
        },
    )
    assert created.status_code == 303
    shown = await console.client.get(created.headers["location"])
    assert "Now “Do you rent submarines to astronauts?” → faq" in shown.text
    assert console.services.preview.answer(ODD).text == "No, sorry."


async def test_conversations_search_and_forget(console: Console) -> None:
    await console.login()
    await _ask(console, 41, "how long does shipping take", name="Bruno")
    await _ask(console, 42, "I forgot my password", name="Carla")
    listed = await console.client.get("/conversations")
    assert "Bruno" in listed.text and "Carla" in listed.text
    by_text = await console.client.get("/conversations", params={"q": "password"})
    assert "Carla" in by_text.text and "Bruno" not in by_text.text
    by_user = await console.client.get("/conversations", params={"user": "41"})
    assert "Bruno" in by_user.text and "Carla" not in by_user.text
    user_id = int(by_user.text.split('href="/conversations/')[1].split('"')[0])
    transcript = await console.client.get(f"/conversations/{user_id}")
    assert "shipping" in transcript.text and "faq" in transcript.text and " ms" in transcript.text
    await console.app.conversation.accounts.forget("telegram", 41)
    assert "Bruno" not in (await console.client.get("/conversations")).text
    assert (await console.client.get(f"/conversations/{user_id}")).status_code == 404


async def test_handoff_reply_reaches_the_port_and_hand_back(console: Console) -> None:
    csrf = await console.login()
    await _ask(console, 55, "where is my order 123")
    ticket = await console.app.handoff.start(user_external_id=55, chat_id=55, user_name="Dora")
    session_id = ticket.customer.session_id
    listed = await console.client.get("/handoffs")
    assert f"#{session_id}" in listed.text and "Dora" in listed.text
    page = await console.client.get(f"/handoffs/{session_id}")
    assert "where is my order 123" in page.text
    sent = await console.client.post(
        f"/handoffs/{session_id}/reply", data={"csrf": csrf, "text": "It left today."}
    )
    assert sent.status_code == 303
    assert console.messenger.sent[-1] == (55, "It left today.")
    lines = await console.client.get(f"/handoffs/{session_id}/lines", params={"after": "0"})
    assert "It left today." in lines.text and "agent" in lines.text
    back = await console.client.post(f"/handoffs/{session_id}/finish", data={"csrf": csrf})
    assert back.status_code == 303
    assert await console.app.handoff.customer_by_session(session_id) is None
    assert len(console.messenger.sent) == 3  # joined notice, the reply, "back with the bot"
    closed = await console.client.post(
        f"/handoffs/{session_id}/reply", data={"csrf": csrf, "text": "late"}
    )
    assert closed.status_code == 409 and len(console.messenger.sent) == 3


async def test_quality_charts_and_evaluate(console: Console) -> None:
    await console.login()
    await _ask(console, 61, "how long does shipping take")
    await _ask(console, 62, ODD)
    page = await console.client.get("/quality", params={"days": "7"})
    assert page.text.count("<svg") >= 5 and "faq" in page.text and "submarines" in page.text
    dataset = {
        "faq": [
            {"id": "a", "question": "How do I reset my password?", "answer": "Use the link."},
            {"id": "b", "question": "What are your opening hours?", "answer": "9 to 5."},
        ],
        "queries": [
            {"query": "reset password", "faq_id": "a"},
            {"query": "when are you open", "faq_id": "b"},
        ],
    }
    files = {"file": ("dev.json", json.dumps(dataset).encode(), "application/json")}
    csrf = (await console.client.get("/quality/evaluate")).text.split('name="csrf" value="')[1]
    result = await console.client.post(
        "/quality/evaluate", data={"csrf": csrf.split('"')[0]}, files=files
    )
    assert result.status_code == 200
    assert 'id="p-at-1">' in result.text and "MRR@10" in result.text
    broken = {"file": ("dev.json", b"{not json", "application/json")}
    refused = await console.client.post(
        "/quality/evaluate", data={"csrf": csrf.split('"')[0]}, files=broken
    )
    assert refused.status_code == 422
