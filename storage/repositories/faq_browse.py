"""FAQ browsing for the web console: text search and filters over the whole FAQ, paged."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FaqEntry, FaqRevision


@dataclass(frozen=True, slots=True)
class FaqFilter:
    """What the admin typed and picked; empty fields do not filter."""

    text: str = ""
    language: str = ""
    tag: str = ""
    enabled: bool | None = None


def _filtered(query: Select[tuple[FaqEntry]], wanted: FaqFilter) -> Select[tuple[FaqEntry]]:
    if wanted.text.strip():
        needle = wanted.text.strip()
        variants = cast(FaqEntry.variants, String)
        query = query.where(
            or_(
                FaqEntry.question.icontains(needle, autoescape=True),
                FaqEntry.answer.icontains(needle, autoescape=True),
                variants.icontains(needle, autoescape=True),
            )
        )
    if wanted.language:
        query = query.where(FaqEntry.language == wanted.language)
    if wanted.tag:
        # Tags are a JSON list; its text holds each tag as a JSON string (non-ASCII escaped).
        query = query.where(
            cast(FaqEntry.tags, String).contains(json.dumps(wanted.tag), autoescape=True)
        )
    if wanted.enabled is not None:
        query = query.where(FaqEntry.enabled.is_(wanted.enabled))
    return query


async def search(
    *, session: AsyncSession, wanted: FaqFilter, offset: int, limit: int
) -> tuple[list[FaqEntry], int]:
    """One page of matching entries (ordered by id) and how many match in all."""
    total = await session.scalar(
        _filtered(select(func.count()).select_from(FaqEntry), wanted)  # type: ignore[arg-type]
    )
    rows = await session.scalars(
        _filtered(select(FaqEntry), wanted).order_by(FaqEntry.id).offset(offset).limit(limit)
    )
    return list(rows), int(total or 0)


async def languages(*, session: AsyncSession) -> list[str]:
    """Every language code in use, for the filter's choices."""
    rows = await session.scalars(select(FaqEntry.language).distinct().order_by(FaqEntry.language))
    return list(rows)


async def revision(*, session: AsyncSession, entry_id: int, number: int) -> FaqRevision | None:
    """One stored version of an entry."""
    return await session.scalar(
        select(FaqRevision).where(FaqRevision.entry_id == entry_id, FaqRevision.revision == number)
    )
