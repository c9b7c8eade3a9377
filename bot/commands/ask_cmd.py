"""``supportbot ask "TEXT"``: one message through the whole pipeline, as a customer would send it.

Useful for scripts and smoke tests: ``--json`` prints the reply with its mode, FAQ ids,
confidence and latency. The message is stored like any other (user ``--user`` on channel
"cli").
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bot.app import open_app
from bot.config import Settings
from bot.conversation.exchange import Incoming
from bot.engine.base import GenerationEngine

CHANNEL = "cli"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("ask", help="answer one message through the full pipeline")
    parser.add_argument("text", help="the customer's message")
    parser.add_argument("--user", type=int, default=1, help="customer id (default: 1)")
    parser.add_argument("--lang", help="language hint, e.g. en or zh-Hans (default: detected)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=ask)


async def ask_once(
    settings: Settings,
    text: str,
    *,
    user_id: int = 1,
    language: str | None = None,
    engine: GenerationEngine | None = None,
) -> dict[str, Any]:
    """Open the app, answer ``text``, and return the reply as ``ask --json`` prints it."""
    async with open_app(settings, engine=engine) as app:
        incoming = Incoming(
            user_id=user_id, chat_id=user_id, text=text, channel=CHANNEL, language_hint=language
        )
        reply = await app.conversation.handle(incoming)
    return {
        "reply": reply.text,
        "mode": reply.mode.value,
        "faq_ids": reply.faq_ids,
        "confidence": round(reply.confidence, 4),
        "latency_ms": reply.latency_ms,
        "language": reply.language,
        "related_questions": reply.related_questions,
        "offer_human": reply.offer_human,
    }


def ask(args: argparse.Namespace, settings: Settings) -> int:
    """Print the reply to one message."""
    result = asyncio.run(ask_once(settings, args.text, user_id=args.user, language=args.lang))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(result["reply"])
    for question in result["related_questions"]:
        print(f"  - {question}")
    return 0
