"""Reply text -> Telegram messages: HTML escaping, the 4,096 limit, plain-text fallback.

Everything the bot sends is HTML with *every* piece of customer, model or FAQ text escaped, so
a stray ``<`` can never break a message. Telegram counts the limit in UTF-16 code units of the
text after entity parsing, so splitting works on plain blocks and escapes each part afterwards:
a tag is never cut in half, and every part carries its plain twin for the fallback re-send.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

MESSAGE_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph: its plain text and how it is rendered (None: escaped plain text)."""

    plain: str
    html: str | None = None

    @property
    def rendered(self) -> str:
        return self.html if self.html is not None else escape(self.plain)


@dataclass(frozen=True, slots=True)
class OutgoingText:
    """One Telegram message: HTML to send, and the same words as plain text if HTML fails."""

    html: str
    plain: str


def escape(text: str) -> str:
    """Escape the three characters Telegram's HTML parse mode gives meaning to."""
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: most emoji count twice)."""
    return len(text.encode("utf-16-le")) // 2


def bold(text: str) -> str:
    """Escaped text in bold."""
    return f"<b>{escape(text)}</b>"


def paragraphs(text: str) -> list[Block]:
    """Split plain text into paragraph blocks (blank-line separated)."""
    parts = [p.strip("\n") for p in re.split(r"\n\s*\n", text)]
    return [Block(p) for p in parts if p.strip()]


_BOUNDARIES = (
    re.compile(r"(?<=\n)"),  # lines
    re.compile(r"(?<=[.!?…。！？;；])"),  # sentences (the space after stays with the next one)
    re.compile(r"(?<= )"),  # words
)


def _split_long(text: str, limit: int, level: int = 0) -> list[str]:
    """Split one over-long plain paragraph on the gentlest boundary that fits."""
    for depth in range(level, len(_BOUNDARIES)):
        pieces = [p for p in _BOUNDARIES[depth].split(text) if p]
        if len(pieces) > 1:
            fitted: list[str] = []
            for piece in pieces:
                too_long = utf16_len(piece) > limit
                fitted.extend(_split_long(piece, limit, depth + 1) if too_long else [piece])
            return _pack(fitted, limit)
    chunks, current = [], ""  # one unbreakable run (e.g. a long URL): cut by code units
    for char in text:
        if utf16_len(current + char) > limit:
            chunks.append(current)
            current = ""
        current += char
    return [*chunks, current] if current else chunks


def _pack(pieces: Sequence[str], limit: int) -> list[str]:
    """Greedily join consecutive pieces into chunks of at most ``limit`` (edges stripped)."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and utf16_len((current + piece).strip()) > limit:
            chunks.append(current.strip())
            current = ""
        current += piece
    if current.strip():
        chunks.append(current.strip())
    return [c for c in chunks if c]


def split_blocks(blocks: Sequence[Block], limit: int = MESSAGE_LIMIT) -> list[OutgoingText]:
    """Pack blocks into messages of at most ``limit``, splitting only plain blocks that are too
    long by themselves (rendered blocks such as a bold list are kept whole)."""
    units: list[Block] = []
    for block in blocks:
        if utf16_len(block.plain) > limit:
            units.extend(Block(part) for part in _split_long(block.plain, limit))
        else:
            units.append(block)
    messages: list[OutgoingText] = []
    html_parts: list[str] = []
    plain_parts: list[str] = []
    for unit in units:
        candidate = "\n\n".join([*plain_parts, unit.plain])
        if plain_parts and utf16_len(candidate) > limit:
            messages.append(OutgoingText("\n\n".join(html_parts), "\n\n".join(plain_parts)))
            html_parts, plain_parts = [], []
        html_parts.append(unit.rendered)
        plain_parts.append(unit.plain)
    if plain_parts:
        messages.append(OutgoingText("\n\n".join(html_parts), "\n\n".join(plain_parts)))
    return messages


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[OutgoingText]:
    """Plain text (any length) as escaped HTML messages within the limit."""
    return split_blocks(paragraphs(text) or [Block(text or "…")], limit)


def streaming_preview(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The escaped partial text shown while tokens arrive (first message only, with an ellipsis)."""
    shown = text.strip() or "…"
    if utf16_len(shown) > limit - 2:
        shown = split_text(shown, limit - 2)[0].plain
    return escape(shown) + " …"
