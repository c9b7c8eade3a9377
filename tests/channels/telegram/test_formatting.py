"""Formatting: everything escaped, parts under Telegram's limit, split on gentle boundaries."""

from __future__ import annotations

from bot.channels.telegram.formatting import (
    MESSAGE_LIMIT,
    Block,
    bold,
    split_blocks,
    split_text,
    streaming_preview,
    utf16_len,
)
from tests.channels.telegram.fake_html import parse_html


def test_short_text_is_one_escaped_part() -> None:
    [part] = split_text("Is 1 < 2 & 3 > 2? <b>yes</b>")
    assert part.html == "Is 1 &lt; 2 &amp; 3 &gt; 2? &lt;b&gt;yes&lt;/b&gt;"
    assert parse_html(part.html)[0] == part.plain


def test_long_text_splits_on_paragraphs_then_sentences_within_the_limit() -> None:
    paragraph = "A sentence about <returns> & refunds. " * 60
    parts = split_text("\n\n".join([paragraph.strip()] * 5))
    assert len(parts) > 1
    for part in parts:
        plain, _ = parse_html(part.html)
        assert plain == part.plain and utf16_len(plain) <= MESSAGE_LIMIT
        assert part.plain.endswith(".")  # never cut mid-sentence


def test_chinese_and_emoji_count_in_utf16_units() -> None:
    text = "退货需要在三十天内办理。😀" * 400
    parts = split_text(text)
    assert all(utf16_len(p.plain) <= MESSAGE_LIMIT for p in parts)
    assert "".join(p.plain for p in parts) == text
    assert all(p.plain.endswith("😀") or p.plain.endswith("。") for p in parts[:-1])


def test_unbreakable_run_is_cut_and_rendered_blocks_stay_whole() -> None:
    parts = split_text("x" * 9000)
    assert [len(p.plain) for p in parts] == [4096, 4096, 808]
    header = Block("Related questions:\n• a", bold("Related questions:") + "\n• a")
    parts = split_blocks([Block("y" * 4090), header])
    assert parts[1].html.startswith("<b>Related")


def test_streaming_preview_is_escaped_with_an_ellipsis() -> None:
    assert streaming_preview("1 < 2") == "1 &lt; 2 …"
    assert utf16_len(parse_html(streaming_preview("z" * 5000))[0]) <= MESSAGE_LIMIT
