"""Telegram's HTML parse mode, strictly enough to reject what Telegram rejects.

Supported tags are the Bot API's (b, strong, i, em, u, ins, s, strike, del, a, code, pre,
span class="tg-spoiler", tg-spoiler, blockquote, tg-emoji); an unknown tag, an unclosed or
misnested tag, or a bare ``&`` / ``<`` is an error, like "can't parse entities" from Telegram.
"""

from __future__ import annotations

import html
import re
from typing import Any

ALLOWED = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class HtmlError(ValueError):
    """The text is not valid Telegram HTML."""


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The plain text and entities of a Telegram HTML message, or HtmlError."""
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    entities: list[dict[str, Any]] = []
    length = 0
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            tag = _TAG.match(source, i)
            if tag is None:
                raise HtmlError(f"Unclosed start tag at byte offset {i}")
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            if name not in ALLOWED:
                raise HtmlError(f'Unsupported start tag "{name}" at byte offset {i}')
            if closing:
                if not stack or stack[-1][0] != name:
                    raise HtmlError(f"Unexpected end tag at byte offset {i}")
                opened, start = stack.pop()
                if length > start:
                    entities.append(
                        {"type": ALLOWED[opened], "offset": start, "length": length - start}
                    )
            else:
                stack.append((name, length))
            i = tag.end()
        elif char == "&":
            entity = _ENTITY.match(source, i)
            if entity is None:
                raise HtmlError(f"Character entity expected at byte offset {i}")
            text = html.unescape(entity.group())
            out.append(text)
            length += len(text.encode("utf-16-le")) // 2
            i = entity.end()
        elif char == ">":
            raise HtmlError(f"Unexpected > at byte offset {i}")
        else:
            out.append(char)
            length += len(char.encode("utf-16-le")) // 2
            i += 1
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities
