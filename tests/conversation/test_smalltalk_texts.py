"""Small talk detection and the fixed texts per language."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.smalltalk import Smalltalk, detect_smalltalk, wants_human
from bot.conversation.texts import Texts, choose_language, normalize_language


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hi", Smalltalk.GREETING),
        ("Hello there!", Smalltalk.GREETING),
        ("Thanks a lot 🙏", Smalltalk.THANKS),
        ("thank you so much, bye", Smalltalk.BYE),
        ("你好", Smalltalk.GREETING),
        ("谢谢您！", Smalltalk.THANKS),
        ("再见", Smalltalk.BYE),
        ("hi, how long does shipping take?", None),
        ("thanks, but where is my order?", None),
        ("你好，怎么退货？", None),
        ("", None),
    ],
)
def test_smalltalk_only_when_nothing_else_is_said(text: str, kind: Smalltalk | None) -> None:
    assert detect_smalltalk(text) == kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want to talk to a human", True),
        ("can I speak with a real person please", True),
        ("agent", True),
        ("转人工", True),
        ("我要人工客服", True),
        ("how do I return an item", False),
        ("talk about shipping costs", False),
        # Asking *when* people are there is a question for the FAQ, not a request now.
        ("周六有人工客服吗？", False),
        ("人工客服几点下班？", False),
        ("can I talk to a real person on Sundays?", False),
        ("connect me to an agent", True),
    ],
)
def test_requests_for_a_person(text: str, expected: bool) -> None:
    assert wants_human(text) is expected


def test_every_locale_has_every_english_key(texts: Texts) -> None:
    assert set(texts.languages) >= {"en", "zh"}
    for key in texts.text_keys():
        assert texts.get(key, "zh")  # no KeyError, no empty text


def test_lookup_falls_back_to_english_and_fills_placeholders(tmp_path: Path) -> None:
    (tmp_path / "en.yaml").write_text("hi: 'Hello from {business_name}'\nbye: Bye\n")
    (tmp_path / "zh.yaml").write_text("bye: 再见\n")
    texts = Texts.from_folder(tmp_path, business_name="Acme")
    assert texts.get("hi", "zh") == "Hello from Acme"
    assert texts.get("bye", "zh-Hans") == "再见"
    assert texts.get("bye", "fr") == "Bye"
    assert texts.get("hi", "en", business_name="Bolt") == "Hello from Bolt"
    with pytest.raises(KeyError):
        texts.get("missing", "en")


def test_language_codes_are_normalised() -> None:
    assert [normalize_language(c) for c in ("zh-Hans", "en_US", "ZH-TW", "", None)] == [
        "zh",
        "en",
        "zh",
        None,
        None,
    ]


@pytest.mark.parametrize(
    ("chosen", "hint", "written", "expected"),
    [
        ("zh", "en", "en", "zh"),  # an explicit /language choice wins
        (None, "en", "zh", "zh"),  # Chinese text from an English-language phone
        (None, "zh-Hans", "en", "zh"),  # Latin script says little: the hint decides
        (None, "de", "en", "de"),
        (None, None, "en", "en"),
        (None, None, None, "fr"),  # nothing known: the default
    ],
)
def test_choose_language(chosen, hint, written, expected) -> None:  # type: ignore[no-untyped-def]
    assert choose_language(chosen=chosen, hint=hint, written=written, default="fr") == expected
