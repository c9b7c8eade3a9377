"""Read-side use cases of the web console: conversations, hand-offs, quality, evaluation.

The console never touches storage itself; these methods open a session, call the console's
query repositories and hand back plain values. A customer who used ``/forget`` has no rows
left, so they are gone from every page without any filtering here.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.service import AdminService
from bot.admin.unanswered import QuestionGroup
from bot.knowledge.faq.faqfile import FaqFileError
from bot.knowledge.ranking.index import FaqIndex
from bot.knowledge.ranking.metrics import load_dataset, retrieval_metrics
from storage.models import utcnow
from storage.repositories import quality, transcripts
from storage.repositories.transcripts import CustomerRow, TranscriptLine

__all__ = ["ConsoleQueries", "CustomerRow", "HandoffRow", "QualityReport", "TranscriptLine"]

CONFIDENT_MODES = ("faq",)
ANSWER_MODES = ("faq", "generated", "fallback", "handoff")
GROUPS_TTL = 30.0  # seconds a grouping of unanswered questions is reused at most


@dataclass(frozen=True, slots=True)
class HandoffRow:
    """One open hand-off in the console's list."""

    session_id: int
    user_id: int
    external_id: int
    name: str | None
    language: str | None
    started: Any
    agent_replied: bool


@dataclass(slots=True)
class QualityReport:
    """Per-day series for the charts (oldest day first) and the top unanswered groups."""

    days: list[str]
    modes: dict[str, list[int]] = field(default_factory=dict)
    confident_share: list[float | None] = field(default_factory=list)
    thumbs_up: list[int] = field(default_factory=list)
    thumbs_down: list[int] = field(default_factory=list)
    p50: list[int | None] = field(default_factory=list)
    p95: list[int | None] = field(default_factory=list)
    unanswered: list[QuestionGroup] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One UTC day of the quality charts."""

    modes: dict[str, int] = field(default_factory=dict)
    ratings: tuple[int, int] = (0, 0)
    latency: tuple[int | None, int | None] = (None, None)


EMPTY_DAY = DayFigures()


class ConsoleQueries:
    """What the conversations, hand-offs and quality pages read."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        # Figures of closed (past) days do not change; feedback given on an old reply later
        # is counted on the day it was given, so only today is ever queried twice.
        self._closed_days: dict[str, DayFigures] = {}
        self._groups: tuple[tuple[int, int], float, list[QuestionGroup]] | None = None

    async def unanswered(self, admin: AdminService) -> list[QuestionGroup]:
        """``admin.unanswered()``, regrouped only when a question was added or resolved (or
        after ``GROUPS_TTL`` seconds): grouping 200 questions is most of the inbox's time."""
        async with self.session_factory() as session:
            key = await quality.unanswered_key(session=session)
        now = time.monotonic()
        cached = self._groups
        if cached is not None and cached[0] == key and now - cached[1] < GROUPS_TTL:
            return list(cached[2])
        groups = await admin.unanswered()
        self._groups = (key, now, groups)
        return list(groups)

    async def customers(
        self, *, text: str = "", user: str = "", page: int = 1, per_page: int = 50
    ) -> list[CustomerRow]:
        async with self.session_factory() as session:
            return await transcripts.customers(
                session=session,
                text=text,
                user=user,
                offset=(max(1, page) - 1) * per_page,
                limit=per_page,
            )

    async def transcript(self, user_id: int) -> tuple[CustomerRow | None, list[TranscriptLine]]:
        """A customer (None when gone) and their last messages."""
        async with self.session_factory() as session:
            user = await transcripts.customer(session=session, user_id=user_id)
            if user is None:
                return None, []
            lines = await transcripts.transcript(session=session, user_id=user_id)
        row = CustomerRow(user.id, user.external_id, user.channel, user.name, user.last_seen, 0)
        return row, lines

    async def handoffs(self) -> list[HandoffRow]:
        async with self.session_factory() as session:
            rows = await transcripts.open_handoffs(session=session)
        return [
            HandoffRow(
                chat.id,
                user.id,
                user.external_id,
                user.name,
                chat.language or user.language,
                chat.handoff_at,
                chat.agent_replied_at is not None,
            )
            for chat, user in rows
        ]

    async def session_lines(self, session_id: int, after_id: int = 0) -> list[TranscriptLine]:
        """Messages of one session newer than ``after_id`` (the hand-off page polls this)."""
        async with self.session_factory() as session:
            return await transcripts.transcript(
                session=session, session_id=session_id, after_id=after_id
            )

    async def quality(self, days: int, unanswered: list[QuestionGroup]) -> QualityReport:
        """The chart series of the last ``days`` days (UTC); closed days come from a cache,
        only today and days never asked before are queried."""
        midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        first = midnight - timedelta(days=days - 1)
        labels = [(first + timedelta(days=n)).date().isoformat() for n in range(days)]
        missing = [day for day in labels[:-1] if day not in self._closed_days]
        if missing:
            since = datetime.fromisoformat(missing[0]).replace(tzinfo=UTC)
            found = await self._figures(since, midnight)
            for day in labels[:-1]:
                if day >= missing[0]:
                    self._closed_days[day] = found.get(day, EMPTY_DAY)
        today = await self._figures(midnight, None)
        figures = {**self._closed_days, labels[-1]: today.get(labels[-1], EMPTY_DAY)}
        report = QualityReport(days=labels, unanswered=unanswered[:10])
        seen = sorted({mode for day in labels for mode in figures[day].modes})
        for mode in seen:
            report.modes[mode] = [figures[day].modes.get(mode, 0) for day in labels]
        for day in labels:
            counts = figures[day].modes
            answered = sum(counts.get(mode, 0) for mode in ANSWER_MODES)
            confident = sum(counts.get(mode, 0) for mode in CONFIDENT_MODES)
            report.confident_share.append(confident / answered if answered else None)
            report.thumbs_up.append(figures[day].ratings[0])
            report.thumbs_down.append(figures[day].ratings[1])
            report.p50.append(figures[day].latency[0])
            report.p95.append(figures[day].latency[1])
        return report

    async def _figures(self, since: datetime, until: datetime | None) -> dict[str, DayFigures]:
        async with self.session_factory() as session:
            modes = await quality.replies_by_mode(session=session, since=since, until=until)
            ratings = await quality.ratings(session=session, since=since, until=until)
            latency = await quality.latency_percentiles(session=session, since=since, until=until)
        return {
            day: DayFigures(modes.get(day, {}), ratings.get(day, (0, 0)), latency[day])
            if day in latency
            else DayFigures(modes.get(day, {}), ratings.get(day, (0, 0)))
            for day in {*modes, *ratings, *latency}
        }

    @staticmethod
    async def evaluate(content: bytes, encoder_of: FaqIndex, threshold: float) -> dict[str, Any]:
        """Retrieval metrics on an uploaded ``dev.json`` (FAQ + labelled queries), computed on
        a private index with the live encoder; the live FAQ is not touched."""
        try:
            json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FaqFileError(f"not a dev.json file: {exc}") from None
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "dev.json"
            path.write_bytes(content)
            documents, queries = load_dataset(path)
        if not queries:
            raise FaqFileError("the file has no labelled queries")
        index = FaqIndex(encoder_of.encoder)
        await asyncio.to_thread(index.rebuild, documents)
        metrics = await asyncio.to_thread(retrieval_metrics, index, queries, threshold)
        return {"faq_entries": len(documents), **metrics}
