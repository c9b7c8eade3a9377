"""Script-based language detection: cheap, deterministic and good enough to pick a reply language.

Customers write short messages, where statistical detectors are unreliable; the writing system
is what matters for us (which tokeniser to use, which locale file to answer from). Latin-script
text is reported as English, the bot's default; Telegram's language code, when given, wins over
this guess in the conversation layer.
"""

from __future__ import annotations

import unicodedata

SYLLABLE_WEIGHT = 3
HAN_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0xF900, 0xFAFF))
KANA_RANGES = ((0x3040, 0x309F), (0x30A0, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F))
HANGUL_RANGES = ((0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F))
CYRILLIC_RANGES = ((0x0400, 0x04FF),)
ARABIC_RANGES = ((0x0600, 0x06FF),)
THAI_RANGES = ((0x0E00, 0x0E7F),)
GREEK_RANGES = ((0x0370, 0x03FF),)
HEBREW_RANGES = ((0x0590, 0x05FF),)


def _in(code: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= code <= high for low, high in ranges)


def is_han(char: str) -> bool:
    """True for a Chinese character (also used in Japanese kanji)."""
    return _in(ord(char), HAN_RANGES)


def is_cjk(char: str) -> bool:
    """True for a character of a script written without spaces (Han, kana, Thai)."""
    code = ord(char)
    return _in(code, HAN_RANGES) or _in(code, KANA_RANGES) or _in(code, THAI_RANGES)


def detect_language(text: str, default: str = "en") -> str:
    """Guess the language of ``text`` from its letters: "en", "zh", "ja", "ko", "ru", ...

    Any kana makes it Japanese (Chinese never uses kana); otherwise the script with the most
    letters wins, a Han character or Hangul syllable counting as ``SYLLABLE_WEIGHT`` letters
    (it carries about a word), so "我的 iPhone 坏了" is Chinese. Text without letters (emoji,
    digits) gets ``default``.
    """
    counts: dict[str, int] = {}
    for char in text:
        code = ord(char)
        if _in(code, KANA_RANGES):
            return "ja"
        if _in(code, HAN_RANGES):
            script = "zh"
        elif _in(code, HANGUL_RANGES):
            script = "ko"
        elif _in(code, CYRILLIC_RANGES):
            script = "ru"
        elif _in(code, ARABIC_RANGES):
            script = "ar"
        elif _in(code, THAI_RANGES):
            script = "th"
        elif _in(code, GREEK_RANGES):
            script = "el"
        elif _in(code, HEBREW_RANGES):
            script = "he"
        elif unicodedata.category(char).startswith("L"):
            script = "latin"
        else:
            continue
        weight = SYLLABLE_WEIGHT if script in ("zh", "ko") else 1
        counts[script] = counts.get(script, 0) + weight
    if not counts:
        return default
    best = max(counts, key=lambda script: counts[script])
    return "en" if best == "latin" else best
