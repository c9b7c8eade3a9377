"""Side-by-side differences between FAQ revisions, as escaped HTML with marked words."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from bot.admin.console_faq import RevisionView

FIELDS = ("question", "answer", "variants", "tags", "language", "enabled")
WORDS = re.compile(r"\s+|[^\s]+")


def _text(revision: RevisionView, name: str) -> str:
    value = getattr(revision, name)
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def side_by_side(before: str, after: str) -> tuple[Markup, Markup]:
    """Both texts with the words the other lacks marked (<del> left, <ins> right)."""
    left_words, right_words = WORDS.findall(before), WORDS.findall(after)
    left: list[str] = []
    right: list[str] = []
    matcher = difflib.SequenceMatcher(a=left_words, b=right_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old = str(escape("".join(left_words[i1:i2])))
        new = str(escape("".join(right_words[j1:j2])))
        if tag == "equal":
            left.append(old)
            right.append(new)
            continue
        if old:
            left.append(f"<del>{old}</del>")
        if new:
            right.append(f"<ins>{new}</ins>")
    return Markup("".join(left)), Markup("".join(right))


@dataclass(frozen=True, slots=True)
class FieldDiff:
    name: str
    before: Markup
    after: Markup


@dataclass(frozen=True, slots=True)
class RevisionDiff:
    """One revision and what it changed compared with the one before it."""

    revision: RevisionView
    fields: list[FieldDiff]


def revision_diffs(history: list[RevisionView]) -> list[RevisionDiff]:
    """Newest first; the first version is compared with nothing (everything is new)."""
    diffs = []
    for position, revision in enumerate(history):
        older = history[position + 1] if position + 1 < len(history) else None
        fields = []
        for name in FIELDS:
            after = _text(revision, name)
            before = _text(older, name) if older is not None else ""
            if before != after:
                left, right = side_by_side(before, after)
                fields.append(FieldDiff(name, left, right))
        diffs.append(RevisionDiff(revision, fields))
    return diffs
