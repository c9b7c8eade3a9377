"""An article's Markdown read as blocks: headings, paragraphs, list items, tables, code, quotes.

The chunker cuts passages between blocks, never inside a list item, a table row or a code
block. Text that came out of a PDF is repaired on the way in: a line break inside a sentence is
not a paragraph break ("When you press the\\nbutton in\\nAmbient Mode\\n, the" is one
sentence), page-number lines ("- 59 -") are dropped, and a plain line that reads like a
sub-heading (short, capitalised, no final punctuation, after a finished sentence and before a
paragraph) becomes a heading one level below the Markdown heading above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list_item", "table", "code", "quote"]

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_LIST_MARKER = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-–—]\s*\d{1,4}\s*[-–—]|page\s+\d{1,4}(?:\s+of\s+\d{1,4})?)\s*$", re.I
)
_SENTENCE_END = re.compile(r"[.!?。！？][\"'”’)\]]*$")
_GLUED_START = re.compile(r"^[,.;:!?)\]}%”’]")
# a line ending in one of these goes on in the next line
_TAIL_WORDS = (
    "a an the to of and or in on at by for from with your its their this that as is are be"
)
_LOWER_TAIL_WORDS = frozenset(f"{_TAIL_WORDS} if when than not".split())
# a line starting with one of these is a sentence, not a title
_OPENERS = "a an to for if when while the in on you this it and or but press select see"
_SENTENCE_OPENERS = frozenset(_OPENERS.split())
_CLAUSE_COMMA = re.compile(r",\s+(?!and\b|or\b)[a-z]")
_SECTION_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+(?=\S)")
_LOOKAHEAD_LINES = 6  # a menu path ("Settings", "General", ...) may stand between
MENU_STEP_WORDS = 3  # a manual's menu path is printed a step per line: "Settings", "Picture"
PSEUDO_HEADING_LEVEL = 0  # a plain-line sub-heading: one level below the heading above it


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of an article the chunker never cuts inside (except long paragraphs, at
    sentence ends, and long tables, between rows)."""

    kind: BlockKind
    text: str
    level: int = 0  # a heading's level (1-6); PSEUDO_HEADING_LEVEL for a plain-line sub-heading


def read_blocks(markdown: str) -> list[Block]:
    """The article's blocks in order (page-number lines dropped)."""
    lines = [
        line.rstrip() for line in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    lines = [line for line in lines if not _PAGE_NUMBER.match(line)]
    blocks: list[Block] = []
    text_run: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        taken = _structural_block(lines, index)
        if taken is None:
            text_run.append(line)
            index += 1
            continue
        if text_run:
            blocks.extend(_text_blocks(text_run))
            text_run = []
        new_blocks, index = taken
        blocks.extend(new_blocks)
    blocks.extend(_text_blocks(text_run))
    return blocks


def _structural_block(lines: list[str], index: int) -> tuple[list[Block], int] | None:
    """A heading, fence, table, list item or quote starting at ``index`` and the line after it."""
    line = lines[index]
    if _FENCE.match(line):
        return _fenced_code(lines, index)
    heading = _ATX_HEADING.match(line)
    if heading:
        return [Block("heading", heading.group(2).strip(), len(heading.group(1)))], index + 1
    if _is_setext_heading(lines, index):
        level = 1 if lines[index + 1].strip().startswith("=") else 2
        return [Block("heading", line.strip(), level)], index + 2
    if _is_table_start(lines, index):
        return _table(lines, index)
    if _SECTION_NUMBER.match(line) and _reads_as_heading(lines, index):
        return [Block("heading", line.strip(), _section_level(line))], index + 1
    if _is_list_item(line):
        return _list_item(lines, index)
    if line.lstrip().startswith(">"):
        end = index
        while end < len(lines) and lines[end].lstrip().startswith(">"):
            end += 1
        return [Block("quote", "\n".join(lines[index:end]).strip())], end
    return None


def _fenced_code(lines: list[str], index: int) -> tuple[list[Block], int]:
    fence = _FENCE.match(lines[index])
    assert fence is not None
    marker = fence.group(1)
    end = index + 1
    while end < len(lines) and not lines[end].lstrip().startswith(marker):
        end += 1
    end = min(end + 1, len(lines))
    return [Block("code", "\n".join(lines[index:end]))], end


def _is_setext_heading(lines: list[str], index: int) -> bool:
    if index + 1 >= len(lines) or not lines[index].strip():
        return False
    previous_blank = index == 0 or not lines[index - 1].strip()
    underline = _SETEXT_UNDERLINE.match(lines[index + 1])
    return previous_blank and underline is not None and not _is_list_item(lines[index])


def _is_table_start(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if line.startswith("|") and line.count("|") >= 2:
        return True
    following = lines[index + 1] if index + 1 < len(lines) else ""
    return "|" in line and "-" in following and bool(_TABLE_SEPARATOR.match(following))


def _table(lines: list[str], index: int) -> tuple[list[Block], int]:
    end = index
    while end < len(lines) and "|" in lines[end] and lines[end].strip():
        end += 1
    return [Block("table", "\n".join(line.strip() for line in lines[index:end]))], end


def _is_list_item(line: str) -> bool:
    marker = _LIST_MARKER.match(line)
    return marker is not None and any(char.isalnum() for char in marker.group(3))


def _list_item(lines: list[str], index: int) -> tuple[list[Block], int]:
    """One top-level item with its continuation lines and nested items."""
    marker = _LIST_MARKER.match(lines[index])
    assert marker is not None
    indent = len(marker.group(1))
    end = index + 1
    while end < len(lines):
        line = lines[end]
        if not line.strip():
            following = lines[end + 1] if end + 1 < len(lines) else ""
            if following.strip() and _indent(following) > indent:
                end += 1
                continue
            break
        starts_sibling = _is_list_item(line) and _indent(line) <= indent
        if starts_sibling or _structural_block_kind(line) or _ends_lazy_item(lines, end, indent):
            break
        end += 1
    return [Block("list_item", "\n".join(lines[index:end]).rstrip())], end


def _ends_lazy_item(lines: list[str], index: int, indent: int) -> bool:
    """An unindented line after a finished sentence is a new paragraph, not more of the item
    (PDF text has no blank line after its last bullet)."""
    previous = lines[index - 1].strip()
    return _indent(lines[index]) <= indent and bool(_SENTENCE_END.search(previous))


def _structural_block_kind(line: str) -> bool:
    return bool(_FENCE.match(line) or _ATX_HEADING.match(line) or line.lstrip().startswith("|"))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _text_blocks(lines: list[str]) -> list[Block]:
    """Plain lines between structural blocks: paragraphs re-joined, sub-headings recognised."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    for index, line in enumerate(lines):
        if not line.strip():
            blocks.extend(_paragraph(paragraph))
            paragraph = []
            continue
        if _reads_as_heading(lines, index):
            blocks.extend(_paragraph(paragraph))
            blocks.append(Block("heading", line.strip(), _section_level(line)))
            paragraph = []
            continue
        if paragraph and _starts_paragraph(lines, index):
            blocks.extend(_paragraph(paragraph))
            paragraph = []
        paragraph.append(line.strip())
    blocks.extend(_paragraph(paragraph))
    return blocks


def _starts_paragraph(lines: list[str], index: int) -> bool:
    """A line after a finished sentence, or a label whose definition follows (``Decor``
    then ``: Allows you to ...``), starts a new paragraph."""
    previous = lines[index - 1].strip()
    following = lines[index + 1].strip() if index + 1 < len(lines) else ""
    return bool(_SENTENCE_END.search(previous)) or following.startswith(":")


def _reads_as_heading(lines: list[str], index: int) -> bool:
    """A short capitalised line without final punctuation (after a section number, if any),
    after a finished sentence (or at the start), followed by a paragraph (a line of five words
    or more within the next six lines; not a list, for a numbered line)."""
    line = lines[index].strip()
    number = _SECTION_NUMBER.match(line)
    title = line[number.end() :] if number else line
    words = title.split()
    if not 1 <= len(words) <= 12 or len(title) > 90 or not title[0].isupper():
        return False
    if _SENTENCE_END.search(title) or title[-1] in ",;:" or words[-1].lower() in _LOWER_TAIL_WORDS:
        return False
    if words[0].lower() in _SENTENCE_OPENERS or _CLAUSE_COMMA.search(title) or ": " in title:
        return False
    previous = lines[index - 1].strip() if index else ""
    if previous and not _SENTENCE_END.search(previous):
        return False
    following = _next_lines(lines, index, _LOOKAHEAD_LINES)
    if not following or not following[0][0].isupper() or (number and _is_list_item(following[0])):
        return False
    if len(words) <= MENU_STEP_WORDS and _is_menu_step(following[0]):
        return False  # "Settings" / "Picture" / "Picture Mode": a menu path, not a heading
    return any(len(candidate.split()) >= 5 for candidate in following)


def _is_menu_step(line: str) -> bool:
    """A short capitalised line without punctuation: one step of a menu path."""
    words = line.split()
    return 1 <= len(words) <= MENU_STEP_WORDS and line[0].isupper() and line[-1].isalnum()


def _section_level(line: str) -> int:
    """A numbered heading's level below the title: "2." -> 2, "2.1." -> 3; else the plain
    sub-heading level."""
    number = _SECTION_NUMBER.match(line.strip())
    return min(6, number.group(1).count(".") + 2) if number else PSEUDO_HEADING_LEVEL


def _next_lines(lines: list[str], index: int, count: int) -> list[str]:
    """The next ``count`` non-blank lines after ``index``, stripped."""
    found: list[str] = []
    for line in islice(lines, index + 1, None):
        if line.strip():
            found.append(line.strip())
            if len(found) == count:
                break
    return found


def _paragraph(lines: list[str]) -> list[Block]:
    text = ""
    for line in lines:
        if not line:
            continue
        glue = "" if not text or _GLUED_START.match(line) else " "
        text = f"{text}{glue}{line}"
    return [Block("paragraph", text)] if text else []
