"""Answering what waited: a stored message too old for a useful answer gets an apology.

A channel's durable inbox can hold a customer's message for a long time (the bot was down, or
Telegram kept refusing the reply). Past ``SUPPORTBOT_RECOVERY_MAX_AGE_MINUTES`` a fresh answer
to a question the customer may have forgotten is worse than an honest "sorry, we are late"
with the offer of a person. ``record_late`` stores that exchange like any other turn (the
question flagged unanswered, so the admins see it), without retrieval or the model.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.exchange import AnswerMode, Incoming, Reply
from bot.conversation.outcome import Outcome
from bot.conversation.service import ConversationService
from bot.conversation.turns import open_turn, reply_of, store_reply
from storage.models import SessionState


async def record_late(
    service: ConversationService,
    incoming: Incoming,
    apology: Callable[[str], str],
    *,
    origin: str | None = None,
) -> Reply:
    """Store ``incoming`` and, unless a person has the chat, the apology in its language.

    ``apology(language)`` gives the text. A ``HUMAN`` reply means: relay it to the agents.
    ``origin`` as for ``ConversationService.handle``: a replay stores neither turn again.
    """
    turn = await open_turn(
        service.session_factory,
        incoming,
        ttl=service.settings.session_ttl,
        language_for=lambda stored: service.resolve_language(incoming, stored=stored),
        now=service.clock(),
        origin=origin,
    )
    if turn.state == SessionState.HUMAN:
        return Reply("", AnswerMode.HUMAN, turn.language, turn.session_id, turn.user_message_id)
    outcome = Outcome(
        apology(turn.language), AnswerMode.FALLBACK, unanswered=True, offer_human=True
    )
    message_id = await store_reply(service.session_factory, turn, outcome, 0, service.clock())
    return reply_of(turn, turn.earlier_reply or outcome, message_id, 0)
