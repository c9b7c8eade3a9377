"""Log lines as JSON objects with the bound ids; bot tokens never reach a log line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.observability.logs import current_ids, log_context, make_handler

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO, io.StringIO]]:
    """A logger writing both formats into buffers."""
    json_out, text_out = io.StringIO(), io.StringIO()
    logger = logging.getLogger("tests.observability.sample")
    handlers = [make_handler("json", json_out), make_handler("text", text_out)]
    for handler in handlers:
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, json_out, text_out
    for handler in handlers:
        logger.removeHandler(handler)


def test_json_lines_carry_level_logger_message_and_ids(logged) -> None:
    logger, json_out, text_out = logged
    with log_context(chat_id=42, message_id=7, request_id="r1"):
        logger.info("answered %s", "faq")
    logger.warning("no ids here")
    first, second = (json.loads(line) for line in json_out.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "tests.observability.sample"
    assert first["message"] == "answered faq" and first["time"].endswith("+00:00")
    assert (first["chat_id"], first["message_id"], first["request_id"]) == (42, 7, "r1")
    assert "chat_id" not in second and second["level"] == "WARNING"
    assert "chat_id=42 message_id=7 request_id=r1" in text_out.getvalue().splitlines()[0]


def test_bot_tokens_are_masked_in_messages_and_tracebacks(logged) -> None:
    logger, json_out, text_out = logged
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        logger.exception("calling https://api.telegram.org/bot%s/sendMessage", TOKEN)
    written = json_out.getvalue() + text_out.getvalue()
    assert TOKEN not in written and TOKEN.split(":")[1] not in written
    assert "123456789:****" in json.loads(json_out.getvalue())["exception"]


def test_passwords_in_urls_are_masked(logged) -> None:
    logger, json_out, _ = logged
    logger.warning("cannot connect to postgresql+asyncpg://bot:hunter2@db:5432/supportbot")
    message = json.loads(json_out.getvalue())["message"]
    assert message == "cannot connect to postgresql+asyncpg://bot:****@db:5432/supportbot"


async def test_ids_do_not_leak_between_concurrent_tasks() -> None:
    seen: dict[int, dict[str, object]] = {}
    gate = asyncio.Event()

    async def handle(chat_id: int) -> None:
        with log_context(chat_id=chat_id):
            await gate.wait()
            seen[chat_id] = current_ids()

    tasks = [asyncio.create_task(handle(n)) for n in (1, 2)]
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*tasks)
    assert seen == {1: {"chat_id": 1}, 2: {"chat_id": 2}}
    assert current_ids() == {}
    with pytest.raises(TypeError), log_context(text="a customer's words"):
        pass
