"""The fallback floor through the real app: a partial match whose best entry is below the
policy's ``fallback`` floor gets the hand-off, not "I'm not completely sure, but this may help".

The app (SQLite file, migrations) with the test shop's FAQ (``shop_faq``) ranked lexically
(``embedding_model: none``), so the question's confidence is fixed by its words; the floor is
set just above and just below that confidence.
"""

from __future__ import annotations

from bot.app import App
from bot.conversation.exchange import AnswerMode, Incoming, Reply
from bot.conversation.policy import FALLBACK_FLOOR, Thresholds
from bot.conversation.service import ConversationService
from bot.knowledge.ranking.thresholds import CONFIDENT_THRESHOLD, RELATED_THRESHOLD

PARTIAL = "what colour is the light?"  # shares only "light" with the pairing entry


async def reply_with_floor(app: App, floor: float) -> Reply:
    service = ConversationService(
        settings=app.settings,
        session_factory=app.session_factory,
        catalog=app.catalog,
        engine=None,
        texts=app.texts,
        limits=Thresholds(fallback=floor),
    )
    return await service.handle(Incoming(7, 7, PARTIAL, channel="test"))


async def test_a_partial_match_below_the_fallback_floor_is_handed_off(app: App) -> None:
    [best] = app.catalog.search(PARTIAL, 1)
    assert RELATED_THRESHOLD < best.confidence < CONFIDENT_THRESHOLD  # a partial match
    above = await reply_with_floor(app, best.confidence - 0.01)
    assert above.mode is AnswerMode.FALLBACK and above.faq_ids == [int(best.document.id)]
    below = await reply_with_floor(app, best.confidence + 0.01)
    assert below.mode is AnswerMode.HANDOFF and below.faq_ids == []
    assert below.offer_human


def test_the_default_floor_is_above_the_related_threshold() -> None:
    assert Thresholds().fallback == FALLBACK_FLOOR > RELATED_THRESHOLD
