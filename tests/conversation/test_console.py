"""The terminal chat driven through in-memory streams (no tty)."""

from __future__ import annotations

import io

from bot.channels.console import run_console
from bot.conversation.service import ConversationService
from bot.conversation.texts import Texts
from bot.engine.fake import FakeEngine
from tests.conversation.conftest import HOURS, RETURNS, SHIPPING, FixedCatalog


async def test_chat_answers_streams_resets_and_quits(
    service: ConversationService,
    catalog: FixedCatalog,
    fake_engine: FakeEngine,
    texts: Texts,
    session_factory,
) -> None:
    catalog.answer_with((SHIPPING, 0.95), (RETURNS, 0.5))
    stdin = io.StringIO("how long does shipping take?\n\n/reset\n/quit\nnever read\n")
    stdout = io.StringIO()

    answered = await run_console(service, stdin=stdin, stdout=stdout)

    out = stdout.getvalue()
    assert answered == 1
    assert f"bot> {SHIPPING.answer}\n" in out
    assert f"  - {RETURNS.question}" in out
    assert texts.get("reset_done", "en") in out
    assert out.rstrip().endswith(texts.get("console_goodbye", "en"))
    assert "never read" not in out


async def test_generated_text_is_streamed_piece_by_piece(
    service: ConversationService, catalog: FixedCatalog, fake_engine: FakeEngine
) -> None:
    catalog.answer_with((HOURS, 0.5))
    fake_engine.enqueue("Our store opens at 9:30. It closes at 18:00.")
    writes: list[str] = []

    class RecordingStream(io.StringIO):
        def write(self, text: str) -> int:
            writes.append(text)
            return super().write(text)

    await run_console(service, stdin=io.StringIO("when do you open?\n"), stdout=RecordingStream())

    assert "Our store opens at 9:30. " in writes  # first sentence written on its own
    assert "It closes at 18:00." in writes


async def test_end_of_input_quits_politely(service: ConversationService, texts: Texts) -> None:
    stdout = io.StringIO()
    assert await run_console(service, stdin=io.StringIO(""), stdout=stdout) == 0
    assert texts.get("console_goodbye", "en") in stdout.getvalue()
