"""The bot's fixed texts (greeting, "I don't know", errors, hand-off notices) per language.

They live in ``prompts/locales/<language>.yaml`` so a business can reword or translate them
without touching code. English is the fallback for a missing language or a missing key, so a
half-translated locale still works. ``{placeholders}`` are filled from the call's keyword
arguments and the defaults given at construction (e.g. ``business_name``).
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

FALLBACK_LANGUAGE = "en"
LANGUAGE_ALIASES = {"zh-hans": "zh", "zh-cn": "zh", "zh-sg": "zh", "zh-hant": "zh", "zh-tw": "zh"}


def normalize_language(code: str | None) -> str | None:
    """The primary subtag, lowercased: "zh-Hans" -> "zh", "en_US" -> "en", "" -> None."""
    if not code or not code.strip():
        return None
    code = code.strip().lower().replace("_", "-")
    if code in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[code]
    primary = code.split("-", 1)[0]
    return primary if primary.isalpha() else None


def choose_language(
    *, chosen: str | None, hint: str | None, written: str | None, default: str
) -> str:
    """The language to answer in.

    In order: the customer's explicit choice (``/language``); the language of the text when it
    is not written in Latin script and differs from the hint (a Chinese message sent from an
    English-language phone gets a Chinese reply); the channel's hint (Telegram's language
    code); the language detected from the text; the configured default.
    """
    if chosen:
        return normalize_language(chosen) or default
    hint_code = normalize_language(hint)
    written_code = normalize_language(written)
    latin = "en"  # what detect_language reports for any Latin-script text
    if written_code and written_code != latin and written_code != hint_code:
        return written_code
    return hint_code or written_code or default


class _KeepMissing(dict[str, object]):
    """Leaves an unknown ``{placeholder}`` visible instead of raising in front of a customer."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Texts:
    """Fixed texts of every locale file in one folder."""

    def __init__(self, locales: Mapping[str, Mapping[str, str]], **defaults: object) -> None:
        if FALLBACK_LANGUAGE not in locales:
            raise ValueError(f"the {FALLBACK_LANGUAGE!r} locale is required (it is the fallback)")
        self._locales = {lang: dict(texts) for lang, texts in locales.items()}
        self._defaults = dict(defaults)

    @classmethod
    def from_folder(cls, folder: Path, **defaults: object) -> Texts:
        """Read every ``*.yaml`` in ``folder``; the file name (``zh.yaml``) is the language."""
        locales: dict[str, dict[str, str]] = {}
        for path in sorted(folder.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if not isinstance(data, dict):
                raise ValueError(f"{path}: expected a mapping of text keys to texts")
            locales[path.stem.lower()] = {str(k): str(v) for k, v in data.items()}
        if not locales:
            raise FileNotFoundError(f"no locale files (*.yaml) in {folder}")
        return cls(locales, **defaults)

    @property
    def languages(self) -> list[str]:
        """Languages with a locale file, English first."""
        return sorted(self._locales, key=lambda lang: (lang != FALLBACK_LANGUAGE, lang))

    def supports(self, language: str | None) -> bool:
        """True when ``language`` has its own locale file."""
        return normalize_language(language) in self._locales

    def text_keys(self) -> set[str]:
        """Every key of the fallback (English) locale."""
        return set(self._locales[FALLBACK_LANGUAGE])

    def get(self, key: str, language: str | None = None, **params: object) -> str:
        """The text ``key`` in ``language`` (English when missing), placeholders filled.

        An unknown key is a programming error and raises ``KeyError``.
        """
        lang = normalize_language(language) or FALLBACK_LANGUAGE
        template = self._locales.get(lang, {}).get(key)
        if template is None:
            template = self._locales[FALLBACK_LANGUAGE].get(key)
            if template is None:
                raise KeyError(f"no fixed text {key!r}")
        values = _KeepMissing(self._defaults)
        values.update(params)
        return string.Formatter().vformat(template, (), values)
