"""What the log says about sends: a retried 429 or 5xx is one INFO line, a reply Telegram
refuses for good is one ERROR line with the chat, the update and the reason (issue 22)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telegram.ext import Application

from tests.channels.telegram.conftest import replies, settled
from tests.channels.telegram.fake_bot_api import FakeBotApi


def is_answer(params: dict[str, Any]) -> bool:
    """A sendMessage of a finished answer, not a streamed preview (those end with "…")."""
    return not str(params.get("text", "")).endswith("…")


async def test_a_retried_429_is_one_info_line_naming_the_chat_and_no_traceback(
    bot: Application, fake_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ann = fake_api.user(7, "Ann")
    # Only the answer itself fails: a streamed preview (shown when the machine is slow) goes
    # through PTB's own limiter, not the outbox, and is not what this test is about.
    fake_api.fail("sendMessage", status=429, retry_after=1, times=1, when=is_answer)
    fake_api.fail("sendMessage", status=502, description="Bad Gateway", times=1, when=is_answer)
    fake_api.send_text(ann, "How long does shipping take?")
    [answer] = await replies(fake_api, 7, 1, within=30)
    assert "3-5 business days" in answer
    await settled(bot)
    ours = [r for r in caplog.records if r.name.startswith(("bot", "telegram"))]  # not the fake's
    assert not [r for r in ours if r.exc_info], "a retried send logged a traceback"
    assert not [r for r in ours if r.levelno >= logging.ERROR]
    retried = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retried) == 2, retried
    assert all("chat 7" in line for line in retried), retried
    assert any("429" in line for line in retried), retried
    assert any("Bad Gateway" in line for line in retried), retried


async def test_a_reply_refused_for_good_is_one_error_line_with_chat_update_and_reason(
    bot: Application, fake_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ann = fake_api.user(8, "Ann")
    fake_api.fail(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user",
        when=is_answer,
    )  # fmt: skip
    fake_api.send_text(ann, "How long does shipping take?")
    update_id = fake_api.pushed[-1]["update_id"]
    await fake_api.wait_until(lambda: [c for c in fake_api.calls if c.status == 403], 30)
    await settled(bot, within=30)
    given_up = [r.getMessage() for r in caplog.records if "reply given up" in r.getMessage()]
    assert len(given_up) == 1, given_up
    assert f"chat 8, update {update_id}" in given_up[0] and "blocked" in given_up[0]
    errors = [
        r for r in caplog.records if r.levelno >= logging.ERROR and r.name != "tornado.access"
    ]
    assert [r.getMessage() for r in errors] == given_up  # the one line, nothing else
