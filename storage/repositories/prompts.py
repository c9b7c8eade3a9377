"""Prompt templates edited by admins, with every earlier version kept for rollback."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PromptRevision, PromptTemplate, utcnow


async def get(*, session: AsyncSession, name: str) -> PromptTemplate | None:
    """The stored template of this name (None: the file default applies)."""
    return await session.scalar(select(PromptTemplate).where(PromptTemplate.name == name))


async def save(
    *,
    session: AsyncSession,
    name: str,
    body: str,
    author: str | None = None,
    now: datetime | None = None,
) -> PromptTemplate:
    """Store a new version of the template ``name``."""
    now = now or utcnow()
    template = await get(session=session, name=name)
    if template is None:
        template = PromptTemplate(
            name=name, body=body, revision=1, updated_by=author, updated_at=now
        )
        session.add(template)
        await session.flush()
    else:
        template.revision += 1
        template.body = body
        template.updated_by = author
        template.updated_at = now
    session.add(
        PromptRevision(
            template_id=template.id,
            revision=template.revision,
            body=body,
            changed_by=author,
            changed_at=now,
        )
    )
    await session.flush()
    return template


async def history(*, session: AsyncSession, name: str) -> list[PromptRevision]:
    """Every saved version of the template, oldest first."""
    query = (
        select(PromptRevision)
        .join(PromptTemplate)
        .where(PromptTemplate.name == name)
        .order_by(PromptRevision.revision)
    )
    return list(await session.scalars(query))


async def rollback(
    *, session: AsyncSession, name: str, revision: int, author: str | None = None
) -> PromptTemplate:
    """Save the body of an earlier revision as the newest one (history is never rewritten)."""
    for old in await history(session=session, name=name):
        if old.revision == revision:
            return await save(session=session, name=name, body=old.body, author=author)
    raise LookupError(f"prompt {name!r} has no revision {revision}")
