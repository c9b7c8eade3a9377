"""An article's Markdown cut into passages: split by headings, packed to a word budget.

Each passage keeps its heading path (the headings below the article title, outermost first).
Passages are cut between blocks (``blocks.py``): a list item and a code block are never split
(one longer than the budget is a passage of its own), a table only between rows (its header
row repeated in each piece), a long paragraph only at sentence ends. A section whose own text is
short (an introduction before the first sub-heading, a heading over its sub-headings) is kept
with the section below it rather than emitted alone, and short sibling sections (a manual's
"Shuffle", "Zoom": a line each) are gathered under their common heading path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from bot.knowledge.documents.blocks import PSEUDO_HEADING_LEVEL, Block, read_blocks

# Chosen with ``python -m bench.passage_sizes --json`` (the smart-TV manual's 201 dev questions
# through the app's index, no overlap): max words 60 | 80 | 100 | 120 | 200 put the gold article
# first for 88 | 93 | 81 | 88 | 84, in the first five for 151 | 145 | 146 | 142 | 145, and made
# 25/36 | 32/46 | 27/45 | 26/42 | 38/63 of the top hits with confidence >= 0.7 right; 120 words
# with a 30-word overlap (an earlier one-off run): 86, 144, 26/44. Differences under ~8
# questions are within noise.
DEFAULT_MAX_WORDS = 80
DEFAULT_OVERLAP_WORDS = 0
DEFAULT_MIN_WORDS = 30  # a section shorter than this joins the section below it

_WORD = re.compile(
    r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\s\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+"
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"'“(\[]?[A-Z0-9])|(?<=[。！？])")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One passage of an article."""

    heading_path: tuple[str, ...]  # headings below the article title, outermost first
    text: str  # passage text; Markdown kept (list markers, table rows, code fences)
    position: int  # 0-based order within the article


@dataclass(frozen=True, slots=True)
class _Unit:
    """A piece the packer never cuts: a block, or a sentence of a long paragraph."""

    text: str
    words: int
    kind: str  # the block's kind; "sentence" for the second and later sentences of a paragraph


def word_count(text: str) -> int:
    """Words, counting each Chinese, Japanese or Korean character as one."""
    return len(_WORD.findall(text))


def chunk_markdown(
    markdown: str,
    *,
    title: str = "",
    max_words: int = DEFAULT_MAX_WORDS,
    overlap_words: int = DEFAULT_OVERLAP_WORDS,
    min_words: int = DEFAULT_MIN_WORDS,
) -> list[Chunk]:
    """The article's passages in order. ``title`` is the article's title: a first-level
    heading equal to it (or the first heading, when no title is given) is not part of any
    heading path."""
    if max_words < 1 or overlap_words < 0:
        raise ValueError("max_words must be positive and overlap_words not negative")
    pieces: list[tuple[tuple[str, ...], str]] = []
    for path, blocks in _sections(read_blocks(markdown), title):
        units = [unit for block in blocks for unit in _units(block, max_words)]
        pieces.extend((path, text) for text in _pack(units, max_words, overlap_words))
    merged = _merge_short_sections(pieces, max_words, min_words)
    return [Chunk(path, text, position) for position, (path, text) in enumerate(merged)]


def _sections(blocks: list[Block], title: str) -> list[tuple[tuple[str, ...], list[Block]]]:
    """Blocks grouped under their heading path."""
    stack: list[tuple[int, str]] = []
    real_level = 1  # the level of the last Markdown heading (the title's, at first)
    sections: list[tuple[tuple[str, ...], list[Block]]] = [((), [])]
    title_seen = False
    for block in blocks:
        if block.kind != "heading":
            sections[-1][1].append(block)
            continue
        is_title = block.level == 1 and not title_seen and block.text == (title or block.text)
        if is_title and not stack and not any(body for _, body in sections):
            title_seen = True
            continue
        level = block.level
        if level == PSEUDO_HEADING_LEVEL:
            level = real_level + 1
        else:
            real_level = level
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, block.text))
        sections.append((tuple(text for _, text in stack), []))
    return [(path, body) for path, body in sections if body]


def _units(block: Block, max_words: int) -> list[_Unit]:
    words = word_count(block.text)
    if words <= max_words or block.kind in ("list_item", "code"):
        return [_Unit(block.text, words, block.kind)]
    if block.kind == "table":
        return _table_units(block.text, max_words)
    sentences = [part.strip() for part in _SENTENCE_BREAK.split(block.text) if part.strip()]
    units = [_Unit(sentence, word_count(sentence), "sentence") for sentence in sentences]
    return [_Unit(units[0].text, units[0].words, block.kind), *units[1:]]


def _table_units(table: str, max_words: int) -> list[_Unit]:
    """A long table as pieces of whole rows, each under the table's header."""
    rows = table.split("\n")
    header_size = 2 if len(rows) > 1 and "-" in rows[1] and not rows[1].strip("|-: ") else 1
    header, body = rows[:header_size], rows[header_size:]
    header_words = word_count("\n".join(header))
    pieces: list[list[str]] = []
    budget = max_words - header_words
    used = budget
    for row in body:
        row_words = word_count(row)
        if used + row_words > budget and (not pieces or pieces[-1]):
            pieces.append([])
            used = 0
        pieces[-1].append(row)
        used += row_words
    texts = ["\n".join([*header, *piece]) for piece in pieces]
    return [_Unit(text, word_count(text), "table") for text in texts]


def _pack(units: list[_Unit], max_words: int, overlap_words: int) -> list[str]:
    """Units packed greedily into passages of at most ``max_words`` (a single unit may be
    longer); each passage after the first starts with the last ``overlap_words`` of whole units
    of the one before."""
    passages: list[list[_Unit]] = []
    current: list[_Unit] = []
    for unit in units:
        if current and sum(item.words for item in current) + unit.words > max_words:
            passages.append(current)
            current = _overlap(current, overlap_words, max_words - unit.words)
        current.append(unit)
    if current:
        passages.append(current)
    return [_joined(passage) for passage in passages]


def _overlap(previous: list[_Unit], overlap_words: int, room: int) -> list[_Unit]:
    kept: list[_Unit] = []
    budget = min(overlap_words, room)
    for unit in reversed(previous):
        if unit.words > budget:
            break
        kept.insert(0, unit)
        budget -= unit.words
    return kept


def _joined(units: list[_Unit]) -> str:
    text = units[0].text
    for previous, unit in pairwise(units):
        if unit.kind == "sentence":
            glue = " "
        elif unit.kind == previous.kind == "list_item":
            glue = "\n"
        else:
            glue = "\n\n"
        text = f"{text}{glue}{unit.text}"
    return text


@dataclass(slots=True)
class _Passage:
    path: tuple[str, ...]
    text: str
    words: int
    grouped: bool = False  # short sibling sections gathered under their common heading path
    joined: bool = False  # a short section joined with the section below it


def _merge_short_sections(
    pieces: list[tuple[tuple[str, ...], str]], max_words: int, min_words: int
) -> list[tuple[tuple[str, ...], str]]:
    """Short sections are not left alone: a short one joins the section below it (which keeps
    its more precise heading path), and short sibling sections ("Shuffle", "Zoom": a line or two
    each) are gathered under their common heading path, each text led by its own heading."""
    merged: list[_Passage] = []
    for path, text in pieces:
        words = word_count(text)
        previous = merged[-1] if merged else None
        if previous is None or previous.words + words > max_words:
            merged.append(_Passage(path, text, words))
            continue
        short_previous = previous.words < min_words and not previous.grouped
        if short_previous and _is_below(path, previous.path):
            joined_text = f"{previous.text}\n\n{text}"
            merged[-1] = _Passage(path, joined_text, previous.words + words, joined=True)
            continue
        gathered = None
        gatherable = previous.grouped or (short_previous and not previous.joined)
        if words < min_words and path and gatherable:
            gathered = _gathered(previous, path, text, words)
        if gathered is not None:
            merged[-1] = gathered
        else:
            merged.append(_Passage(path, text, words))
    return [(passage.path, passage.text) for passage in merged]


def _is_below(path: tuple[str, ...], above: tuple[str, ...]) -> bool:
    return len(path) > len(above) and path[: len(above)] == above


def _gathered(previous: _Passage, path: tuple[str, ...], text: str, words: int) -> _Passage | None:
    """``previous`` and a short sibling section as one passage under their common path, or
    None when the section is no sibling of it (nor of a heading above it)."""
    common = previous.path if previous.grouped else path[:-1]
    if previous.path[: len(common)] != common or path[: len(common)] != common:
        return None
    previous_text = previous.text
    if not previous.grouped:
        previous_text = _led_by(previous.path[len(common) :], previous.text)
    combined = f"{previous_text}\n\n{_led_by(path[len(common) :], text)}"
    return _Passage(common, combined, previous.words + words, grouped=True)


def _led_by(headings: tuple[str, ...], text: str) -> str:
    """A section's text led by its headings: "Shuffle: Plays music files in random order." """
    if not headings:
        return text
    label = " › ".join(headings)
    return f"{label} {text}" if label[-1] in ".?!:" else f"{label}: {text}"
