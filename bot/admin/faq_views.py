"""The FAQ values admin use cases take in and hand out, so no admin way in imports storage.

- ``FaqEntryView``: a read-only copy of one stored entry (what ``AdminService`` returns);
- ``FaqPage``: one page of the FAQ list;
- ``FaqEdit``: the fields an admin wants to change (None: leave as is);
- ``FieldChange`` and ``diff_entry``: what an edit would really change, to confirm first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.models import FaqEntry
from storage.repositories import faq


@dataclass(frozen=True, slots=True)
class FaqEntryView:
    """One FAQ entry as it is stored now."""

    id: int
    question: str
    answer: str
    variants: list[str]
    tags: list[str]
    language: str
    enabled: bool
    revision: int
    updated_by: str | None
    updated_at: datetime

    @classmethod
    def of(cls, entry: FaqEntry) -> FaqEntryView:
        return cls(
            id=entry.id,
            question=entry.question,
            answer=entry.answer,
            variants=list(entry.variants or []),
            tags=list(entry.tags or []),
            language=entry.language,
            enabled=entry.enabled,
            revision=entry.revision,
            updated_by=entry.updated_by,
            updated_at=entry.updated_at,
        )


@dataclass(frozen=True, slots=True)
class FaqPage:
    """One page of the FAQ list."""

    entries: list[FaqEntryView]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class FaqEdit:
    """Fields to change on an entry; None means "leave as is"."""

    question: str | None = None
    answer: str | None = None
    variants: Sequence[str] | None = None
    tags: Sequence[str] | None = None
    language: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a FAQ edit, before and after: what the admin confirms."""

    name: str
    before: object
    after: object


def repository_changes(edit: FaqEdit) -> faq.FaqChanges:
    """The same edit as the FAQ repository takes it."""
    return faq.FaqChanges(**{name: getattr(edit, name) for name in faq.EDITABLE_FIELDS})


def diff_entry(entry: FaqEntry | FaqEntryView, edit: FaqEdit) -> list[FieldChange]:
    """The fields of ``entry`` that ``edit`` would really change."""
    diff = []
    for name in faq.EDITABLE_FIELDS:
        after = getattr(edit, name)
        if after is None:
            continue
        if isinstance(after, tuple):
            after = list(after)
        before = getattr(entry, name)
        if before != after:
            diff.append(FieldChange(name=name, before=before, after=after))
    return diff
