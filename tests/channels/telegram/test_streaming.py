"""Streaming a generated reply: typing, first chunk, throttled edits, one clean final edit."""

from __future__ import annotations

import itertools

from telegram.ext import Application

from tests.channels.telegram.conftest import ScriptedConversation, replies
from tests.channels.telegram.fake_bot_api import FakeBotApi


async def test_reply_streams_first_chunk_then_throttled_edits_then_clean_final(
    scripted_bot: Application, fake_api: FakeBotApi, scripted: list[ScriptedConversation]
) -> None:
    [conversation] = scripted
    pieces = conversation.script("tell me a story")
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "tell me a story")
    await fake_api.wait_until(lambda: fake_api.sent("sendChatAction", 7))
    pieces.put_nowait("Once")
    first = await fake_api.wait_until(lambda: fake_api.sent("sendMessage", 7))
    assert first[0].params["text"] == "Once …"  # the first chunk is sent at once
    for word in [" upon", " a", " time", " <there>", " was", " a", " parcel", " &", " a", " bot."]:
        pieces.put_nowait(word)
    await fake_api.wait_until(lambda: "bot." in fake_api.bot_texts(7)[0])
    pieces.put_nowait(None)
    [final] = await replies(fake_api, 7, 1)
    assert final == "Once upon a time <there> was a parcel & a bot."
    edits = fake_api.sent("editMessageText", 7)
    assert len(fake_api.sent("sendMessage", 7)) == 1, "one message, edited in place"
    assert 2 <= len(edits) <= 4, "eleven pieces arrived in a burst: a few throttled edits"
    gaps = [b.at - a.at for a, b in itertools.pairwise(edits[:-1])]
    assert all(gap >= 0.25 for gap in gaps), f"at most one edit per interval: {gaps}"
    assert "&lt;there&gt;" in edits[-1].params["text"] and edits[-1].params["parse_mode"] == "HTML"
    assert "…" not in edits[-1].params["text"]


async def test_retry_after_on_an_edit_pauses_edits_and_the_final_text_arrives(
    scripted_bot: Application, fake_api: FakeBotApi, scripted: list[ScriptedConversation]
) -> None:
    [conversation] = scripted
    pieces = conversation.script("slow question")
    ann = fake_api.user(7, "Ann")
    fake_api.fail("editMessageText", status=429, retry_after=1, times=2)
    fake_api.send_text(ann, "slow question")
    pieces.put_nowait("Part one.")
    await fake_api.wait_until(lambda: fake_api.sent("sendMessage", 7))
    pieces.put_nowait(" Part two.")
    await fake_api.wait_until(
        lambda: [c for c in fake_api.calls if c.method == "editMessageText" and c.status == 429]
    )
    pieces.put_nowait(" Part three.")
    pieces.put_nowait(None)
    [final] = await replies(fake_api, 7, 1)
    assert final == "Part one. Part two. Part three."
    refused = [c for c in fake_api.calls if c.status == 429]
    after = [c for c in fake_api.sent("editMessageText", 7) if c.at > refused[0].at]
    assert after and after[0].at - refused[0].at >= 1.0, "waited retry_after before editing again"


async def test_generated_reply_longer_than_the_limit_is_split_after_the_preview(
    scripted_bot: Application, fake_api: FakeBotApi, scripted: list[ScriptedConversation]
) -> None:
    [conversation] = scripted
    pieces = conversation.script("everything please")
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "everything please")
    sentence = "This sentence is part of a very long generated answer. "
    for _ in range(150):  # ~8,400 characters
        pieces.put_nowait(sentence)
    pieces.put_nowait(None)
    texts = await replies(fake_api, 7, 3)
    assert all(len(t) <= 4096 for t in texts)
    assert "".join(texts).replace(" ", "") == (sentence * 150).replace(" ", "")


async def test_typing_is_renewed_while_the_answer_takes_long(
    scripted_bot: Application, fake_api: FakeBotApi, scripted: list[ScriptedConversation]
) -> None:
    [conversation] = scripted
    pieces = conversation.script("think hard")
    ann = fake_api.user(7, "Ann")
    fake_api.send_text(ann, "think hard")
    typing = await fake_api.wait_until(
        lambda: len(fake_api.sent("sendChatAction", 7)) >= 3 and fake_api.sent("sendChatAction", 7)
    )
    assert typing[1].at - typing[0].at >= 0.15  # renewed every typing_interval (0.2 s here)
    pieces.put_nowait("Done thinking.")
    pieces.put_nowait(None)
    await replies(fake_api, 7, 1)
    count = len(fake_api.sent("sendChatAction", 7))
    fake_api.send_text(ann, "/help")
    await replies(fake_api, 7, 2)
    assert len(fake_api.sent("sendChatAction", 7)) == count, "typing stops with the answer"
