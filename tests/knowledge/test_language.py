"""Script-based language detection and the language-aware tokeniser."""

from __future__ import annotations

import pytest

from bot.knowledge.text.language import detect_language
from bot.knowledge.text.tokens import tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How long does shipping take?", "en"),
        ("怎么退货？", "zh"),
        ("我的 iPhone 坏了", "zh"),  # more Han characters than Latin letters
        ("返品したいです", "ja"),  # kana marks Japanese even next to kanji
        ("배송은 얼마나 걸리나요?", "ko"),
        ("Сколько стоит доставка?", "ru"),
        ("where is order 12345 🙂", "en"),
    ],
)
def test_detect_language_by_script(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_detect_language_without_letters_gives_the_default() -> None:
    assert detect_language("12345 🙂 ?!", default="zh") == "zh"
    assert detect_language("") == "en"


def test_english_tokens_are_stemmed_and_stop_words_dropped() -> None:
    assert tokenize("Shipping of the shipped items") == ["ship", "ship", "item"]


def test_chinese_paraphrases_share_terms() -> None:
    assert "退货" in set(tokenize("怎么退货")) & set(tokenize("如何办理退货"))
    assert "怎么" not in tokenize("怎么退货")  # question frame, not topic


def test_long_chinese_words_also_give_their_bigrams() -> None:
    assert {"银联卡", "银联"} <= set(tokenize("银联卡"))


def test_mixed_script_text_is_tokenised_per_run() -> None:
    tokens = tokenize("iPhone 怎么退货")
    assert "iphon" in tokens
    assert "退货" in tokens
