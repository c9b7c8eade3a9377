"""A customer's pick under "did you mean…", and the rest of a focused answer ("more").

``choose`` answers the customer's original question with the entry they picked (focused on
that question), stores the reply in their session and the pick itself, which admins then see
under ``/unanswered`` as a phrasing suggestion for that entry; under the update's origin key
a replayed pick is stored once (``stored_once``). ``rest_of`` gives the sentences
of an entry that a focused answer left out, for a "more" button; it needs no stored state.
A help-centre passage (``passage:<id>``) is read from the index, where it lives beside the
entries; a pick of one is not recorded as a phrasing suggestion (that is for FAQ entries).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversation import origins, stored_once
from bot.conversation.answering import Composer
from bot.conversation.exchange import PASSAGE_PREFIX, AnswerMode, Reply
from bot.knowledge.entries import FaqDocument, FaqHit, FaqId
from bot.knowledge.faq.catalog import document_of
from bot.knowledge.ranking.sentences import Focus, split_sentences
from storage.models import Message, utcnow
from storage.repositories import choices, faq, messages, users


class ChoiceBook:
    """Picks and "more" taps, each in its own transaction."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        compose: Composer,
        *,
        clock: Callable[[], datetime] = utcnow,
        indexed: Callable[[], list[FaqDocument]] = list,
    ) -> None:
        self.session_factory = session_factory
        self.compose = compose
        self.clock = clock
        self.indexed = indexed  # the index's documents, where passages are found

    def passage(self, passage_id: FaqId) -> FaqDocument | None:
        """The indexed passage ``passage:<id>`` (None: gone, or not a passage id)."""
        if not str(passage_id).startswith(PASSAGE_PREFIX):
            return None
        return next((d for d in self.indexed() if d.id == passage_id), None)

    async def _document(self, s: AsyncSession, entry_id: FaqId) -> FaqDocument | None:
        """The enabled entry or the indexed passage a pick or "more" names."""
        if isinstance(entry_id, str):
            return self.passage(entry_id)
        entry = await faq.get(session=s, entry_id=entry_id)
        return document_of(entry) if entry is not None and entry.enabled else None

    async def choose(
        self,
        channel: str,
        user_id: int,
        question_message_id: int,
        entry_id: FaqId,
        *,
        origin: str | None = None,
    ) -> Reply | None:
        """Answer question ``question_message_id`` with entry ``entry_id``; None when the
        question is not this customer's or the entry is gone or disabled.

        Under an ``origin`` key (explicit, or the update being handled: ``origins``) the pick
        and its reply are stored once: a replay gets the reply the first run stored."""
        key = origins.current(origin)

        async def pick(s: AsyncSession, kept: Message | None) -> Reply | None:
            return await self._pick(s, channel, user_id, question_message_id, entry_id, key, kept)

        return await stored_once.once(self.session_factory, key, "assistant", pick)

    async def _pick(
        self,
        s: AsyncSession,
        channel: str,
        user_id: int,
        question_message_id: int,
        entry_id: FaqId,
        origin: str | None,
        kept: Message | None,
    ) -> Reply | None:
        now = self.clock()
        user = await users.get(session=s, channel=channel, external_id=user_id)
        question = await messages.get(session=s, message_id=question_message_id)
        chat = await messages.session_of(session=s, message_id=question_message_id)
        document = await self._document(s, entry_id)
        if user is None or question is None or chat is None or chat.user_id != user.id:
            return None
        if question.role != "user" or document is None:
            return None
        hit = FaqHit(document, 1.0, 1.0)
        outcome = self.compose.faq(question.text or document.question, hit)
        if stored_once.replays(kept, chat.id, outcome.text):
            assert kept is not None
            stored = kept  # an earlier run of this update stored the pick and its reply
        else:
            if isinstance(entry_id, int):
                offered = await self._offered(s, chat.id, question_message_id)
                await choices.record(
                    session=s,
                    message_id=question_message_id,
                    faq_entry_id=entry_id,
                    offered=[i for i in offered if isinstance(i, int)],
                    now=now,
                )
            stored = await messages.add(
                session=s,
                session_id=chat.id,
                role="assistant",
                text=outcome.text,
                language=chat.language,
                mode=AnswerMode.FAQ.value,
                faq_ids=outcome.faq_ids,
                confidence=1.0,
                latency_ms=0,
                origin=stored_once.key_for(origin, kept),
                now=now,
            )
        return Reply(
            outcome.text,
            AnswerMode.FAQ,
            chat.language or document.language,
            chat.id,
            question_message_id,
            message_id=stored.id,
            faq_ids=outcome.faq_ids,
            confidence=1.0,
            more=outcome.more,
            more_ref=outcome.more_ref,
            sources=outcome.sources,
        )

    async def rest_of(self, entry_id: FaqId, lead: tuple[int, ...]) -> str | None:
        """The sentences of entry (or passage) ``entry_id`` outside ``lead``; None when gone."""
        async with self.session_factory() as s:
            document = await self._document(s, entry_id)
        if document is None:
            return None
        sentences = tuple(split_sentences(document.answer))
        lead = tuple(i for i in lead if 0 <= i < len(sentences))
        return Focus(document, sentences, lead, 0.0).rest_text or None

    @staticmethod
    async def _offered(s: AsyncSession, session_id: int, question_id: int) -> list[FaqId]:
        """The entries the bot offered right after that question (empty when none)."""
        for row in await messages.history(session=s, session_id=session_id, limit=20):
            if row.id > question_id and row.role == "assistant":
                return list(row.faq_ids or []) if row.mode == AnswerMode.CHOICE.value else []
        return []
