"""Admin use cases: every change is a revision and is visible to the next search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import AdminError, AdminService, FaqEdit, FaqEntryView
from bot.conversation import SessionState
from storage.repositories import messages, sessions, users


def top_id(admin: AdminService, question: str) -> object:
    hits = admin.search_faq(question, k=1)
    return hits[0].document.id if hits else None


async def test_add_edit_delete_visible_to_next_search(admin: AdminService) -> None:
    shipping = await admin.add_faq(
        question="How long does shipping take?",
        answer="3-5 business days.",
        author="telegram:1",
    )
    await admin.add_faq(question="Can I pay by invoice?", answer="Yes.", author="telegram:1")
    assert top_id(admin, "how long does shipping take") == shipping.id

    diff = await admin.edit_faq(
        shipping.id, FaqEdit(answer="2-3 business days."), author="telegram:2"
    )
    assert [(c.name, c.before, c.after) for c in diff] == [
        ("answer", "3-5 business days.", "2-3 business days.")
    ]
    hit = admin.search_faq("shipping time", k=1)[0]
    assert hit.document.answer == "2-3 business days."

    await admin.add_variant(shipping.id, "when will my parcel arrive", author="telegram:2")
    assert top_id(admin, "when will my parcel arrive") == shipping.id

    await admin.edit_faq(shipping.id, FaqEdit(enabled=False), author="telegram:2")
    assert top_id(admin, "how long does shipping take") != shipping.id

    await admin.delete_faq(shipping.id, author="telegram:3")
    with pytest.raises(AdminError):
        await admin.show_faq(shipping.id)
    history = await admin.faq_history(shipping.id)
    assert [r.action for r in history] == ["create", "update", "update", "update", "delete"]
    assert [r.changed_by for r in history][-1] == "telegram:3"


async def test_preview_shows_diff_without_saving(admin: AdminService) -> None:
    entry = await admin.add_faq(question="Opening hours?", answer="9-18", author="a")
    diff = await admin.preview_faq_edit(entry.id, FaqEdit(answer="10-19", question=None))
    assert [(c.name, c.after) for c in diff] == [("answer", "10-19")]
    assert (await admin.show_faq(entry.id)).answer == "9-18"


async def test_entries_come_back_as_read_only_views(admin: AdminService) -> None:
    entry = await admin.add_faq(
        question="Opening hours?", answer="9-18", author="a", variants=["when are you open"]
    )
    assert isinstance(entry, FaqEntryView)
    assert (entry.variants, entry.revision, entry.updated_by) == (["when are you open"], 1, "a")
    edited = await admin.add_variant(entry.id, "hours?", author="b")
    assert (edited.variants, edited.revision) == (["when are you open", "hours?"], 2)
    assert [e.id for e in (await admin.list_faq()).entries] == [entry.id]
    deleted = await admin.delete_faq(entry.id, author="c")
    assert (deleted.id, deleted.question) == (entry.id, "Opening hours?")


async def test_empty_question_rejected(admin: AdminService) -> None:
    with pytest.raises(AdminError):
        await admin.add_faq(question="  ", answer="x", author="a")
    assert (await admin.list_faq()).total == 0


async def test_prompt_set_validate_history_rollback(
    admin: AdminService, prompt_changes: list[str]
) -> None:
    default, revision = await admin.show_prompt()
    assert revision is None and "{{ business_name }}" in default

    with pytest.raises(AdminError, match="unknown variable"):
        await admin.set_prompt("You work for {{ busines_name }}.", author="a")
    with pytest.raises(AdminError, match="line 1"):
        await admin.set_prompt("You work for {{ business_name }.", author="a")
    assert prompt_changes == []

    assert await admin.set_prompt("You work for {{ business_name }}.", author="a") == 1
    assert await admin.set_prompt("Be brief. {{ business_name }}", author="b") == 2
    assert await admin.rollback_prompt(1, author="c") == 3
    body, revision = await admin.show_prompt()
    assert (body, revision) == ("You work for {{ business_name }}.", 3)
    assert [r.changed_by for r in await admin.prompt_history()] == ["a", "b", "c"]
    assert len(prompt_changes) == 3
    with pytest.raises(AdminError):
        await admin.rollback_prompt(42, author="c")


async def test_unanswered_grouped_and_resolved(
    admin: AdminService, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as s, s.begin():
        user = await users.get_or_create(session=s, channel="telegram", external_id=1)
        chat, _ = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=1, ttl=timedelta(minutes=5)
        )
        ids = []
        for text in ("Do you ship to Norway?", "do you ship to norway", "Is there a gift card?"):
            row = await messages.add(
                session=s, session_id=chat.id, role="user", text=text, unanswered=True
            )
            ids.append(row.id)

    groups = await admin.unanswered()
    assert [g.size for g in groups] == [2, 1]
    assert sorted(groups[0].message_ids) == ids[:2]

    entry = await admin.resolve_as_new_faq(
        groups[0].message_ids,
        question="Do you ship to Norway?",
        answer="Yes, in 5-8 business days.",
        author="telegram:9",
    )
    assert entry.variants == ["do you ship to norway"]
    remaining = await admin.unanswered()
    assert [g.message_ids for g in remaining] == [[ids[2]]]
    assert top_id(admin, "ship to Norway?") == entry.id


async def test_stats_counts_modes_and_open_handoffs(
    admin: AdminService, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as s, s.begin():
        user = await users.get_or_create(session=s, channel="telegram", external_id=1)
        chat, _ = await sessions.open_or_continue(
            session=s, user_id=user.id, chat_id=1, ttl=timedelta(minutes=5)
        )
        await messages.add(session=s, session_id=chat.id, role="user", text="hi")
        for mode, latency in (("faq", 10), ("faq", 30), ("handoff", 50)):
            await messages.add(
                session=s,
                session_id=chat.id,
                role="assistant",
                text="x",
                mode=mode,
                latency_ms=latency,
            )
        await sessions.set_state(session=s, chat=chat, state=SessionState.HUMAN)
    figures = await admin.stats(days=7)
    assert (figures.users, figures.sessions, figures.messages) == (1, 1, 4)
    assert figures.modes == {"faq": 2, "handoff": 1}
    assert figures.median_latency_ms == 30
    assert figures.open_handoffs == 1
