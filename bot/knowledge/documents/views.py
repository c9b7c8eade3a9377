"""What the document library hands its callers: plain values, never storage rows.

``SyncReport`` counts articles (``added``, ``changed``, ``unchanged``, ``removed``, ``failed``)
with a reason per failure; ``SourceView``, ``ArticleView`` and ``PassageView`` are what the
console, Telegram and the CLI show, so channels never import storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.knowledge.entries import PassageOrigin

COUNTS = ("added", "changed", "unchanged", "removed", "failed")


@dataclass(slots=True)
class SyncReport:
    """What an add, a sync or a removal did, counted in articles."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (location, reason)
    source_ids: list[int] = field(default_factory=list)  # the sources it worked on

    def count(self, outcome: str) -> None:
        """One more article with this outcome (one of ``COUNTS``)."""
        setattr(self, outcome, getattr(self, outcome) + 1)

    def fail(self, location: str, reason: str) -> None:
        """One more failed article (or source), with why."""
        self.failed += 1
        self.failures.append((location, reason))

    def merge(self, other: SyncReport) -> None:
        """Add another report's counts and failures to this one."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failures.extend(other.failures)
        self.source_ids.extend(i for i in other.source_ids if i not in self.source_ids)

    def as_dict(self) -> dict[str, object]:
        """The counts and failures, as ``--json`` prints them."""
        counts: dict[str, object] = {name: getattr(self, name) for name in COUNTS}
        counts["failures"] = [{"location": loc, "reason": why} for loc, why in self.failures]
        counts["source_ids"] = list(self.source_ids)
        return counts

    def summary(self) -> str:
        """One line: "added 3, changed 1, unchanged 40, removed 0, failed 1"."""
        return ", ".join(f"{name} {getattr(self, name)}" for name in COUNTS)


@dataclass(frozen=True, slots=True)
class SourceView:
    """A source with its state: what the Documents page and ``docs list`` show."""

    id: int
    kind: str  # file | folder | url | sitemap | site, or articles (handed in, not fetched)
    location: str
    title: str | None
    max_pages: int | None
    added_at: datetime
    last_synced_at: datetime | None
    last_error: str | None  # why the last sync of the source as a whole failed
    articles: int
    passages: int
    failing: int  # articles whose last fetch failed (they keep their last good passages)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "location": self.location,
            "title": self.title,
            "max_pages": self.max_pages,
            "added_at": self.added_at.isoformat(),
            "last_synced_at": self.last_synced_at.isoformat() if self.last_synced_at else None,
            "last_error": self.last_error,
            "articles": self.articles,
            "passages": self.passages,
            "failing": self.failing,
        }


@dataclass(frozen=True, slots=True)
class ArticleView:
    """One article of a source."""

    id: int
    source_id: int
    location: str
    title: str
    url: str | None
    fetched_at: datetime
    last_error: str | None
    failed_at: datetime | None


@dataclass(frozen=True, slots=True)
class PassageView:
    """One passage as the bot sees it."""

    id: int
    article_id: int
    position: int
    heading_path: tuple[str, ...]
    text: str
    language: str
    origin: PassageOrigin  # title, headings and URL: ``origin.label`` is the source line
