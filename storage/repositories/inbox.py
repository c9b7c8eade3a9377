"""The inbox: updates stored before they are confirmed, claimed one chat-head at a time.

Claiming is a compare-and-set ``UPDATE`` (state and lease checked in its ``WHERE``) stamped with
a per-call token, then read back by that token. That is safe with several workers and several
instances on PostgreSQL (a second ``UPDATE`` on the same row waits for the first and then finds
its condition false) and on SQLite (one writer at a time), without dialect-specific SQL. Only a
chat's oldest open item is ever a candidate, so one chat is handled in stored order everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import InboxItem, InboxState

OPEN_STATES = (InboxState.PENDING.value, InboxState.CLAIMED.value)


@dataclass(frozen=True, slots=True)
class Received:
    """One update as the channel received it, with its two identities."""

    update_id: int
    dedup_key: str
    chat_id: int
    payload: dict[str, Any]
    sent_at: datetime | None


async def add_new(
    *,
    session: AsyncSession,
    channel: str,
    received: Sequence[Received],
    now: datetime,
    reuse_after: timedelta | None = None,
) -> list[int]:
    """Store the updates not seen before (by update id or by dedup key); their new ids.

    An update id is a duplicate only while its source may still redeliver it: an item done
    more than ``reuse_after`` ago whose id comes again is a new update under a reused id
    (Telegram picks the next id at random after a week without updates), so the old item is
    forgotten and the new one stored. A concurrent store of the same update raises
    ``IntegrityError`` at flush: the caller retries its transaction, and the retry finds the row.
    """
    if not received:
        return []
    ids = [r.update_id for r in received]
    keys = [r.dedup_key for r in received]
    if reuse_after is not None:
        await _forget_reused(session, channel, ids, now - reuse_after)
    seen = await session.execute(
        select(InboxItem.update_id, InboxItem.dedup_key).where(
            InboxItem.channel == channel,
            or_(InboxItem.update_id.in_(ids), InboxItem.dedup_key.in_(keys)),
        )
    )
    seen_ids, seen_keys = set(), set()
    for update_id, key in seen:
        seen_ids.add(update_id)
        seen_keys.add(key)
    rows = []
    for r in received:
        if r.update_id in seen_ids or r.dedup_key in seen_keys:
            continue
        seen_ids.add(r.update_id)
        seen_keys.add(r.dedup_key)
        rows.append(
            InboxItem(
                channel=channel,
                update_id=r.update_id,
                dedup_key=r.dedup_key,
                chat_id=r.chat_id,
                payload=r.payload,
                sent_at=r.sent_at,
                received_at=now,
                state=InboxState.PENDING.value,
                handled=False,
                attempts=0,
            )
        )
    session.add_all(rows)
    await session.flush()
    return [row.id for row in rows]


async def _forget_reused(
    session: AsyncSession, channel: str, update_ids: list[int], done_before: datetime
) -> None:
    """Delete done items under these update ids finished before ``done_before``."""
    await session.execute(
        delete(InboxItem)
        .where(
            InboxItem.channel == channel,
            InboxItem.update_id.in_(update_ids),
            InboxItem.state == InboxState.DONE.value,
            InboxItem.done_at < done_before,
        )
        .execution_options(synchronize_session=False)
    )


async def claim(
    *,
    session: AsyncSession,
    channel: str,
    holder: str,
    token: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
    exclude_chats: Sequence[int] = (),
) -> list[InboxItem]:
    """Claim up to ``limit`` chat heads that are due (pending, or their lease ran out)."""
    earlier = aliased(InboxItem)
    blocked = (
        select(earlier.id)
        .where(
            earlier.channel == InboxItem.channel,
            earlier.chat_id == InboxItem.chat_id,
            earlier.state.in_(OPEN_STATES),
            earlier.id < InboxItem.id,
        )
        .exists()
    )
    due = or_(
        and_(
            InboxItem.state == InboxState.PENDING.value,
            or_(InboxItem.not_before.is_(None), InboxItem.not_before <= now),
        ),
        and_(InboxItem.state == InboxState.CLAIMED.value, InboxItem.lease_until < now),
    )
    query = select(InboxItem.id).where(InboxItem.channel == channel, due, ~blocked)
    if exclude_chats:
        query = query.where(InboxItem.chat_id.not_in(list(exclude_chats)))
    candidates = list(await session.scalars(query.order_by(InboxItem.id).limit(limit)))
    if not candidates:
        return []
    await session.execute(
        update(InboxItem)
        .where(InboxItem.id.in_(candidates), due)
        .values(
            state=InboxState.CLAIMED.value,
            claimed_by=holder,
            claim_token=token,
            lease_until=lease_until,
            attempts=InboxItem.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    claimed = await session.scalars(
        select(InboxItem).where(InboxItem.claim_token == token).order_by(InboxItem.id)
    )
    return list(claimed)


async def get(*, session: AsyncSession, item_id: int) -> InboxItem | None:
    return await session.get(InboxItem, item_id)


async def _owned(session: AsyncSession, item_id: int, token: str) -> InboxItem | None:
    """The item if this claim still holds it (a lost lease means someone else has it now)."""
    return await session.scalar(
        select(InboxItem).where(InboxItem.id == item_id, InboxItem.claim_token == token)
    )


async def save_answer(
    *, session: AsyncSession, item_id: int, token: str, answer: dict[str, Any]
) -> bool:
    """Keep the conversation's reply with the item, so a replay does not answer again."""
    item = await _owned(session, item_id, token)
    if item is not None:
        item.answer = answer
    return item is not None


async def finish(
    *, session: AsyncSession, item_id: int, token: str, handled: bool, now: datetime
) -> bool:
    """The item is handled and everything it sends is out: done."""
    item = await _owned(session, item_id, token)
    if item is None:
        return False
    item.state, item.handled, item.done_at = InboxState.DONE.value, handled, now
    item.claim_token = item.claimed_by = item.lease_until = None
    return True


async def release(
    *,
    session: AsyncSession,
    item_id: int,
    token: str,
    handled: bool,
    not_before: datetime | None,
) -> bool:
    """Hand the item back (to be tried again after ``not_before``), keeping what is done."""
    item = await _owned(session, item_id, token)
    if item is None:
        return False
    item.state, item.handled, item.not_before = InboxState.PENDING.value, handled, not_before
    item.claim_token = item.claimed_by = item.lease_until = None
    return True


async def renew(*, session: AsyncSession, token: str, lease_until: datetime) -> int:
    """Extend the lease of every item claimed with ``token``."""
    result = await session.execute(
        update(InboxItem)
        .where(InboxItem.claim_token == token, InboxItem.state == InboxState.CLAIMED.value)
        .values(lease_until=lease_until)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release_holder(*, session: AsyncSession, channel: str, holder: str) -> int:
    """At start: what an earlier run of this instance had claimed is pending again."""
    result = await session.execute(
        update(InboxItem)
        .where(
            InboxItem.channel == channel,
            InboxItem.claimed_by == holder,
            InboxItem.state == InboxState.CLAIMED.value,
        )
        .values(state=InboxState.PENDING.value, claim_token=None, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_open(*, session: AsyncSession, channel: str) -> int:
    """Items not yet done (waiting, being handled, or with a reply still to send)."""
    return int(
        await session.scalar(
            select(func.count(InboxItem.id)).where(
                InboxItem.channel == channel, InboxItem.state.in_(OPEN_STATES)
            )
        )
        or 0
    )


async def purge_done(*, session: AsyncSession, before: datetime) -> int:
    """Forget items done before ``before`` (past the source's redelivery horizon)."""
    result = await session.execute(
        delete(InboxItem)
        .where(InboxItem.state == InboxState.DONE.value, InboxItem.done_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_done(*, session: AsyncSession, before: datetime) -> int:
    """How many items ``purge_done`` would forget."""
    query = select(func.count(InboxItem.id)).where(
        InboxItem.state == InboxState.DONE.value, InboxItem.done_at < before
    )
    return int(await session.scalar(query) or 0)
