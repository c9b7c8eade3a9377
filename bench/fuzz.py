"""Hostile and broken input through the real conversation service and the Telegram path.

    python -m bench.fuzz [--n 10000] [--seed 1] [--json]

Cases come from ``bench.fuzz_cases``. Commands, button presses and a tenth of the texts go
through the real python-telegram-bot application (every handler and guard, ``process_update``)
talking to the fake Bot API over HTTP, as a customer who is not an admin; the other texts go
straight through ``ConversationService.handle`` and the Telegram rendering
(``replies.render_reply``), each part checked with the fake's strict HTML parser and the
4,096-unit limit. Generation uses the FakeEngine and retrieval is lexical (SQLite, temp dir).

Counted: ``crashes`` (an exception out of the service or the renderer, or a handler that
raised to PTB's error handler; ``error_logs_by_family`` lists cases that were handled but logged
an ERROR), ``format_errors`` (a part Telegram would reject: bad HTML, empty, too long,
not encodable as UTF-8; on the Telegram path, every 400 the fake answered other than "not
modified"), ``admin_actions`` (the FAQ or prompts changed: every fuzz user is a non-admin),
``prompt_leaks`` (a line of the system prompt template in anything the bot said).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from telegram import Update

from bench.fuzz_cases import Case, make_case
from bench.fuzz_telegram import FuzzBotApi, TelegramPath
from bot.app import open_app
from bot.channels.telegram.formatting import utf16_len
from bot.channels.telegram.replies import render_reply
from bot.config import Settings
from bot.conversation.exchange import Incoming
from bot.engine.fake import FakeEngine
from storage.models import FaqEntry, FaqRevision, PromptRevision, PromptTemplate
from tests.channels.telegram.fake_html import HtmlError, parse_html

TELEGRAM_SHARE = 0.1  # of the plain texts; commands and callbacks always take that path


class ErrorCounter(logging.Handler):
    """Counts ERROR records: all of them, and those saying a handler raised to PTB."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.handler_failures = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if record.name.startswith(("bot.channels.telegram", "telegram.ext")):
            self.handler_failures += 1


def leak_lines(settings: Settings) -> list[str]:
    """The system prompt's own sentences (template syntax removed), long enough to be telling."""
    template = (settings.prompts_dir / "system.j2").read_text(encoding="utf-8")
    lines = []
    for raw in template.splitlines():
        if "{" in raw or "}" in raw:
            continue
        line = raw.strip(" -*#\t")
        if len(line) >= 25:
            lines.append(line.lower())
    return lines


def leaked(text: str, lines: list[str]) -> bool:
    low = text.lower()
    return any(line in low for line in lines)


def format_problem(html: str, plain: str) -> str | None:
    """Why Telegram would reject this message part, or None."""
    try:
        html.encode("utf-8")
        text, _ = parse_html(html)
    except (HtmlError, UnicodeEncodeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    if not text.strip() or not plain.strip():
        return "empty"
    if utf16_len(text) > 4096:
        return "too long"
    return None


async def admin_state(session_factory: Any) -> tuple[int, ...]:
    """Counts that every admin action changes (an edit or delete writes a revision)."""
    counts = []
    async with session_factory() as s:
        for model in (FaqEntry, FaqRevision, PromptTemplate, PromptRevision):
            counts.append(int(await s.scalar(select(func.count()).select_from(model)) or 0))
    return tuple(counts)


async def through_service(app: Any, texts: Any, case: Case, user: int) -> tuple[str, str | None]:
    """(everything the customer would read, a format problem) for one text."""
    reply = await app.conversation.handle(Incoming(user, user, case.text, channel="telegram"))
    parts = render_reply(reply, texts) if reply.text else []
    problems = [format_problem(p.html, p.plain) for p in parts]
    return " ".join(p.plain for p in parts), next((p for p in problems if p), None)


async def run(n: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    counter = ErrorCounter()
    logging.getLogger().addHandler(counter)
    logging.getLogger("bot").setLevel(logging.ERROR)
    logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
    result = {"cases": 0, "crashes": 0, "format_errors": 0, "admin_actions": 0, "prompt_leaks": 0}
    families: dict[str, int] = {}
    logged: dict[str, int] = {}  # cases that logged an ERROR (handled, but worth a look)
    examples: list[str] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="supportbot-fuzz-") as folder:
        api = FuzzBotApi()
        await api.start()
        api.group(-1001234, "Acme agents")
        settings = fuzz_settings(Path(folder), api.base_url)
        lines = leak_lines(settings)
        async with open_app(settings, engine=FakeEngine()) as app, TelegramPath(
            settings, app, api
        ) as telegram:  # fmt: skip
            before = await admin_state(app.session_factory)
            for _ in range(n):
                case = make_case(rng)
                families[case.family] = families.get(case.family, 0) + 1
                user = 5000 + rng.randrange(400)
                failures_before, errors_before = counter.handler_failures, counter.count
                outcome = await one_case(case, user, rng, app, telegram, lines)
                result["cases"] += 1
                crashed = outcome["crash"] or counter.handler_failures > failures_before
                if counter.count > errors_before:
                    logged[case.family] = logged.get(case.family, 0) + 1
                for key, hit in (("crashes", crashed), ("format_errors", outcome["format"]),
                                 ("prompt_leaks", outcome["leak"])):  # fmt: skip
                    if hit:
                        result[key] += 1
                        if len(examples) < 10:
                            examples.append(f"{key}: {case.family} {case.text[:60]!r} {hit}")
                after = await admin_state(app.session_factory)
                if after != before:
                    result["admin_actions"] += 1
                    examples.append(f"admin_action: {case.text[:60]!r}")
                    before = after
        await api.stop()
    return {**result, "families": families, "error_logs_by_family": logged, "examples": examples,
            "seconds": round(time.monotonic() - started, 1)}  # fmt: skip


async def one_case(
    case: Case, user: int, rng: random.Random, app: Any, telegram: TelegramPath, lines: list[str]
) -> dict[str, Any]:
    """Run one case on its path; what went wrong, if anything."""
    outcome: dict[str, Any] = {"crash": None, "format": None, "leak": None}
    via_telegram = case.kind == "callback" or case.family == "command"
    via_telegram = via_telegram or rng.random() < TELEGRAM_SHARE
    try:
        if via_telegram:
            said, problem = await telegram.send(case, user)
        else:
            said, problem = await through_service(app, telegram.services, case, user)
    except Exception as exc:  # the crash this bench is looking for
        outcome["crash"] = f"{type(exc).__name__}: {exc}"
        return outcome
    outcome["format"] = problem
    outcome["leak"] = "system prompt line" if leaked(said, lines) else None
    return outcome


def fuzz_settings(folder: Path, base_url: str) -> Settings:
    from pydantic import SecretStr

    from tests.channels.telegram.fake_bot_api import TOKEN

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{folder / 'fuzz.db'}",
        embedding_model="none",
        model_cache_dir=folder / "models",
        telegram_token=SecretStr(TOKEN),
        telegram_base_url=base_url,
        admin_ids=[42],
        support_chat_id=-1001234,
        rate_limit_per_minute=100_000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.n, args.seed))
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 2))


__all__ = ["Update", "main", "run"]

if __name__ == "__main__":
    main()
