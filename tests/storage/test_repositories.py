"""Repositories against a real SQLite file, read back through a brand-new engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import make_engine, make_session_factory
from storage.models import ChatSession, Message, User
from storage.repositories import faq, feedback, messages, prompts, sessions, stats, users

TEXTS = [
    "Hello! Où est ma commande ? 🙂📦",
    "我的订单什么时候到？",
    "x" * 4096,
    "emoji only: 👍🏽👨‍👩‍👧‍👦🇯🇵",
]


async def test_round_trip_through_a_new_engine(
    session_factory: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    async with session_factory() as s, s.begin():
        user = await users.get_or_create(
            session=s, channel="telegram", external_id=2**40, name="Zoë 🌸", language="fr"
        )
        chat, is_new = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=-100123, ttl=timedelta(minutes=30)
        )
        assert is_new
        for i, text in enumerate(TEXTS):
            await messages.add(
                session=s,
                session_id=chat.id,
                role="user" if i % 2 == 0 else "assistant",
                text=text,
                mode=None if i % 2 == 0 else "faq",
                faq_ids=[3, 7] if i % 2 else [],
                confidence=0.875 if i % 2 else None,
                latency_ms=42,
            )
        session_id = chat.id

    fresh = make_engine(database_url)
    try:
        async with make_session_factory(fresh)() as s:
            reread = await users.get(session=s, channel="telegram", external_id=2**40)
            assert reread is not None
            assert (reread.name, reread.language) == ("Zoë 🌸", "fr")
            assert reread.first_seen.tzinfo is not None
            turns = await messages.history(session=s, session_id=session_id, limit=10)
            assert [m.text for m in turns] == TEXTS
            assert [m.faq_ids for m in turns] == [[], [3, 7], [], [3, 7]]
            assert turns[1].confidence == pytest.approx(0.875)
            assert len(turns[2].text or "") == 4096
    finally:
        await fresh.dispose()


async def test_session_ttl_opens_a_new_session(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    ttl = timedelta(minutes=30)
    async with session_factory() as s, s.begin():
        user = await users.get_or_create(session=s, channel="console", external_id=1)
        first, _ = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=1, ttl=ttl, now=start
        )
        same, is_new = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=1, ttl=ttl, now=start + timedelta(minutes=29)
        )
        assert (same.id, is_new) == (first.id, False)
        later, is_new = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=1, ttl=ttl, now=start + timedelta(minutes=70)
        )
        assert is_new and later.id != first.id
        assert first.ended_at == start + timedelta(minutes=29)


async def test_human_session_survives_ttl_and_end_idle(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ttl = timedelta(minutes=30)
    async with session_factory() as s, s.begin():
        user = await users.get_or_create(session=s, channel="telegram", external_id=5)
        chat, _ = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=5, ttl=ttl, now=start
        )
        await sessions.set_state(session=s, chat=chat, state="human", now=start)
        other = await users.get_or_create(session=s, channel="telegram", external_id=6)
        idle, _ = await sessions.open_or_continue(
            session=s, user_id=other.id, chat_id=6, ttl=ttl, now=start
        )
        later = start + timedelta(hours=3)
        assert await sessions.count_idle(session=s, ttl=ttl, now=later) == 1
        assert await sessions.end_idle(session=s, ttl=ttl, now=later) == 1
        again, is_new = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=5, ttl=ttl, now=later
        )
        assert (again.id, is_new, again.state) == (chat.id, False, "human")
        assert [c.id for c in await sessions.open_handoffs(session=s)] == [chat.id]
        await s.refresh(idle)
        assert idle.ended_at == start


async def test_purge_keeps_rows_and_counts(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    async with session_factory() as s, s.begin():
        user = await users.get_or_create(session=s, channel="console", external_id=9)
        chat, _ = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=9, ttl=timedelta(minutes=5), now=now
        )
        for age_days in (400, 200, 100, 1):
            await messages.add(
                session=s,
                session_id=chat.id,
                role="assistant",
                text=f"{age_days} days old",
                mode="faq",
                latency_ms=10,
                now=now - timedelta(days=age_days),
            )
        keep = timedelta(days=90)
        assert await messages.count_purgeable(session=s, older_than=keep, now=now) == 3
        purged = 0
        while batch := await messages.purge_texts(
            session=s, older_than=keep, batch_size=2, now=now
        ):
            purged += batch
        assert purged == 3
        figures = await stats.collect(session=s, days=1000, now=now)
        assert figures.messages == 4
        assert figures.modes == {"faq": 4}
        remaining = await messages.history(session=s, session_id=chat.id)
        assert [m.text for m in remaining] == ["1 days old"]


async def test_faq_revisions_and_delete_keep_history(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as s, s.begin():
        entry = await faq.create(
            session=s, question="How long is shipping?", answer="3-5 days", author="admin:1"
        )
        changed = await faq.update(
            session=s,
            entry=entry,
            changes=faq.FaqChanges(answer="2-4 business days", variants=["delivery time?"]),
            author="admin:2",
        )
        unchanged = await faq.update(
            session=s, entry=entry, changes=faq.FaqChanges(answer="2-4 business days")
        )
        assert (changed, unchanged, entry.revision) == (True, False, 2)
        entry_id = entry.id
        await faq.delete(session=s, entry=entry, author="admin:3")
        assert await faq.get(session=s, entry_id=entry_id) is None
        history = await faq.revisions(session=s, entry_id=entry_id)
        assert [(r.revision, r.action, r.changed_by) for r in history] == [
            (1, "create", "admin:1"),
            (2, "update", "admin:2"),
            (3, "delete", "admin:3"),
        ]
        assert history[1].answer == "2-4 business days"
        assert history[1].variants == ["delivery time?"]


async def test_prompt_history_and_rollback(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as s, s.begin():
        await prompts.save(session=s, name="system", body="v1", author="a")
        await prompts.save(session=s, name="system", body="v2", author="b")
        rolled = await prompts.rollback(session=s, name="system", revision=1, author="c")
        assert (rolled.body, rolled.revision) == ("v1", 3)
        history = await prompts.history(session=s, name="system")
        assert [(r.revision, r.body) for r in history] == [(1, "v1"), (2, "v2"), (3, "v1")]
        with pytest.raises(LookupError):
            await prompts.rollback(session=s, name="system", revision=9)


async def test_forget_deletes_every_row_of_the_user(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    from sqlalchemy import func, select

    from storage.models import Feedback

    async with session_factory() as s, s.begin():
        gone = await users.get_or_create(session=s, channel="telegram", external_id=77)
        kept = await users.get_or_create(session=s, channel="telegram", external_id=78)
        for user in (gone, kept):
            chat, _ = await sessions.open_or_continue(
                session=s, user_id=user.id, chat_id=user.external_id, ttl=timedelta(minutes=5)
            )
            reply = await messages.add(session=s, session_id=chat.id, role="assistant", text="hi")
            await feedback.record(session=s, message_id=reply.id, user_id=user.id, rating=1)
            await feedback.record(session=s, message_id=reply.id, user_id=user.id, rating=-1)
        counts = await users.forget(session=s, user_id=gone.id)
        assert counts == {"messages": 1, "sessions": 1, "feedback": 1}

    async with session_factory() as s:
        for model in (User, ChatSession, Message, Feedback):
            assert await s.scalar(select(func.count()).select_from(model)) == 1
        assert await users.get(session=s, channel="telegram", external_id=77) is None
