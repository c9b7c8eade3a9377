"""Script-based language detection: cheap, deterministic and good enough to pick a reply language.

Customers write short messages, where statistical detectors are unreliable; the writing system
is what matters for us (which tokeniser to use, which locale file to answer from). Latin-script
text is reported as English, the bot's default; Telegram's language code, when given, wins over
this guess in the conversation layer.
"""

from __future__ import annotations

import re

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


def _character_class(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in ranges) + "]")


_KANA = _character_class(KANA_RANGES)
_SCRIPTS = {
    "zh": _character_class(HAN_RANGES),
    "ko": _character_class(HANGUL_RANGES),
    "ru": _character_class(CYRILLIC_RANGES),
    "ar": _character_class(ARABIC_RANGES),
    "th": _character_class(THAI_RANGES),
    "el": _character_class(GREEK_RANGES),
    "he": _character_class(HEBREW_RANGES),
}
_LETTER = re.compile(r"[^\W\d_]")


def detect_language(text: str, default: str = "en") -> str:
    """Guess the language of ``text`` from its letters: "en", "zh", "ja", "ko", "ru", ...

    Any kana makes it Japanese (Chinese never uses kana); otherwise the script with the most
    letters wins, a Han character or Hangul syllable counting as ``SYLLABLE_WEIGHT`` letters
    (it carries about a word), so "我的 iPhone 坏了" is Chinese. Latin letters mean English, the
    bot's default. Text without letters (emoji, digits) gets ``default``.
    """
    if text.isascii():
        return "en" if _LETTER.search(text) else default
    if _KANA.search(text):
        return "ja"
    letters = len(_LETTER.findall(text))
    if not letters:
        return default
    counts = {script: len(pattern.findall(text)) for script, pattern in _SCRIPTS.items()}
    latin = letters - sum(counts.values())
    for script in ("zh", "ko"):
        counts[script] *= SYLLABLE_WEIGHT
    best = max(counts, key=lambda script: counts[script])
    return best if counts[best] > latin else "en"
