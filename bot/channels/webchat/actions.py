"""What each kind of stored web chat update does, and the events it leaves for the browser.

A visitor's POST is stored as an inbox item whose payload has a ``kind``: ``text`` (a question),
``choice`` (a "did you mean" pick), ``feedback`` (👍/👎), ``human`` / ``bot`` (to a person and
back), ``reset``, ``forget``, and ``agent`` (an agent's reply, stored by ``WebMessenger``).
``WebActions.run`` calls the services for it and returns the events to send, as JSON values;
the worker stores them in the outbox. A question (and a pick) runs under its ``origin`` key, so
a replay after a crash reuses the stored question and reply instead of answering twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.webchat.desk import AgentDesk
from bot.channels.webchat.live import LiveStreams
from bot.channels.webchat.texts import web_text
from bot.conversation import AnswerMode, ConversationService, HandoffService, Incoming, Reply
from bot.conversation.exchange import entry_ref, parse_entry_ref
from bot.conversation.texts import Texts
from bot.delivery import DeliveryService, InboxEntry

log = logging.getLogger(__name__)
CHANNEL = "web"
Event = dict[str, Any]
RATED = (AnswerMode.FAQ, AnswerMode.GENERATED, AnswerMode.FALLBACK)


def origin_of(entry: InboxEntry) -> str:
    """The key of an item's question, the same in every replay."""
    return f"{CHANNEL}:{entry.chat_id}:{entry.update_id}:0"


def answer_event(reply: Reply, question: str = "") -> Event:
    """A reply as the widget shows it: text, the rest behind "More", picks and buttons."""
    return {
        "type": "answer",
        "question": question,
        "text": reply.text,
        "mode": reply.mode.value,
        "language": reply.language,
        "message_id": reply.message_id,
        "question_id": reply.user_message_id,
        "more": reply.more,
        "choices": [{"id": entry_ref(c.faq_id), "question": c.question} for c in reply.choices],
        "sources": [{"label": s.label, "url": s.url} for s in reply.sources],
        "related": list(reply.related_questions),
        "offer_human": reply.offer_human,
        "rate": reply.mode in RATED and reply.message_id is not None,
    }


def notice(text: str, **extra: Any) -> Event:
    return {"type": "notice", "text": text, **extra}


class WebActions:
    """The services a web chat update needs, one method per kind."""

    def __init__(
        self,
        conversation: ConversationService,
        handoff: HandoffService,
        delivery: DeliveryService,
        texts: Texts,
        live: LiveStreams,
        desk: AgentDesk | None = None,
    ) -> None:
        self.conversation = conversation
        self.desk = desk  # the Telegram support group, when configured
        self.handoff = handoff
        self.delivery = delivery
        self.texts = texts
        self.live = live
        self._kinds: dict[str, Callable[[InboxEntry, dict[str, Any]], Awaitable[list[Event]]]] = {
            "text": self.text,
            "choice": self.choice,
            "feedback": self.feedback,
            "human": self.human,
            "bot": self.bot,
            "reset": self.reset,
            "forget": self.forget,
            "agent": self.agent,
        }

    async def run(self, entry: InboxEntry) -> list[Event]:
        payload = entry.payload
        kind = self._kinds.get(str(payload.get("kind")))
        return [] if kind is None else await kind(entry, payload)

    async def text(self, entry: InboxEntry, payload: dict[str, Any]) -> list[Event]:
        question = str(payload.get("text", ""))
        incoming = Incoming(
            user_id=entry.chat_id,
            chat_id=entry.chat_id,
            text=question,
            channel=CHANNEL,
            language_hint=payload.get("lang"),
            user_name=payload.get("name"),
        )
        shown: list[str] = []

        def on_text(chunk: str) -> None:
            shown.append(chunk)
            self.live.partial(entry.chat_id, entry.update_id, "".join(shown))

        reply = await self.conversation.handle(incoming, on_text, origin=origin_of(entry))
        if reply.mode is AnswerMode.HUMAN:  # with a person: stored, the agents see it
            await self._relay(entry, question, reply.user_message_id)
            return [{"type": "received", "question": question}]
        return [answer_event(reply, question)]

    async def choice(self, entry: InboxEntry, payload: dict[str, Any]) -> list[Event]:
        reply = await self.conversation.choices.choose(
            CHANNEL,
            entry.chat_id,
            int(payload["question_id"]),
            parse_entry_ref(payload["entry_id"]),
            origin=origin_of(entry),  # a replayed pick is stored once
        )
        if reply is None:
            return [notice(web_text("choice_gone", payload.get("lang")))]
        return [answer_event(reply, str(payload.get("label", "")))]

    async def feedback(self, entry: InboxEntry, payload: dict[str, Any]) -> list[Event]:
        rating = 1 if int(payload.get("rating", 0)) > 0 else -1
        await self.conversation.accounts.record_feedback(
            int(payload["message_id"]), CHANNEL, entry.chat_id, rating
        )
        text = web_text("feedback_thanks", payload.get("lang"))
        return [notice(text, rated=int(payload["message_id"]), offer_human=rating < 0)]

    async def human(self, entry: InboxEntry, payload: dict[str, Any]) -> list[Event]:
        ticket = await self.handoff.start(
            user_external_id=entry.chat_id,
            chat_id=entry.chat_id,
            user_name=payload.get("name"),
            language=payload.get("lang"),
        )
        language = ticket.customer.language or payload.get("lang")
        if self.desk is not None and not ticket.already_open:
            try:
                await self.desk.ticket(ticket)
            except Exception:  # the console's hand-off page still shows it
                log.exception("no ticket for web hand-off #%s", ticket.customer.session_id)
        key = "human_already" if ticket.already_open else "handoff_started"
        return [notice(web_text(key, language), with_human=True)]

    async def bot(self, entry: InboxEntry, payload: dict[str, Any]) -> list[Event]:
        done = await self.handoff.finish_for(user_external_id=entry.chat_id, chat_id=entry.chat_id)
        key = "bot_back" if done is not None else "not_with_human"
        return [notice(web_text(key, payload.get("lang")), with_human=False)]

    async def reset(self, entry: InboxEntry, payload: dict[str, Any]) -> list[Event]:
        await self.conversation.accounts.reset(CHANNEL, entry.chat_id, entry.chat_id)
        return [notice(self.texts.get("reset_done", payload.get("lang")))]

    async def forget(self, entry: InboxEntry, payload: dict[str, Any]) -> list[Event]:
        counts = await self.conversation.accounts.forget(CHANNEL, entry.chat_id)
        language = payload.get("lang")
        text = (
            web_text("forget_done", language, **counts)
            if counts
            else web_text("forget_nothing", language)
        )
        return [notice(text, forgotten=True)]  # the worker then deletes the older events

    async def _relay(self, entry: InboxEntry, text: str, message_id: int | None) -> None:
        """A message the visitor wrote while with a person, to the agents' desk."""
        if self.desk is None:
            return
        customer = await self.handoff.with_human(
            user_external_id=entry.chat_id, chat_id=entry.chat_id
        )
        if customer is None or customer.ticket_message_id is None:
            return  # no ticket in the support group: the console shows the message
        try:
            await self.desk.relay(customer, text, message_id)
        except Exception:
            log.exception("a web visitor's message was not relayed to #%s", customer.session_id)

    async def agent(self, entry: InboxEntry, payload: dict[str, Any]) -> list[Event]:
        return [{"type": "agent", "text": str(payload.get("text", ""))}]
