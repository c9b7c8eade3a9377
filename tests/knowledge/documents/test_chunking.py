"""chunk_markdown: passages by heading path; tables, list items and code blocks never cut; PDF text
repaired (broken lines, page numbers, plain-line sub-headings)."""

from __future__ import annotations

from itertools import pairwise

from bot.knowledge.documents.chunking import Chunk, chunk_markdown, word_count

FILLER = "The remote pairs with the television when you hold both buttons for three seconds."


def _paragraph(sentences: int) -> str:
    return " ".join(FILLER for _ in range(sentences))


def test_nested_headings_give_heading_paths_below_the_title() -> None:
    markdown = (
        f"# Settings guide\n\n{_paragraph(3)}\n\n## Display\n\n{_paragraph(3)}\n\n"
        f"### Night mode\n\n{_paragraph(3)}\n\n## Sound\n\n{_paragraph(3)}\n"
    )
    chunks = chunk_markdown(markdown, title="Settings guide")
    assert [chunk.heading_path for chunk in chunks] == [
        (),
        ("Display",),
        ("Display", "Night mode"),
        ("Sound",),
    ]
    assert [chunk.position for chunk in chunks] == [0, 1, 2, 3]
    assert all("#" not in chunk.text for chunk in chunks)


def test_a_table_is_cut_only_between_rows_under_its_header() -> None:
    rows = [f"| Model {n} | Supports night mode with automatic sunset timing |" for n in range(30)]
    table = "\n".join(["| Model | Feature |", "| --- | --- |", *rows])
    chunks = chunk_markdown(f"## Models\n\n{table}\n", max_words=60)
    assert len(chunks) > 2
    for chunk in chunks:
        lines = chunk.text.split("\n")
        assert lines[:2] == ["| Model | Feature |", "| --- | --- |"]
        assert all(line in rows for line in lines[2:])
        assert word_count(chunk.text) <= 60
    cut_rows = [line for chunk in chunks for line in chunk.text.split("\n")[2:]]
    assert cut_rows == rows


def test_list_items_are_never_cut_even_when_longer_than_the_budget() -> None:
    items = [f"- Step {n}: {_paragraph(2)}\n  {FILLER}" for n in range(6)]
    long_item = f"- The long step: {_paragraph(8)}"
    chunks = chunk_markdown("\n".join([*items, long_item]), max_words=50)
    texts = [chunk.text for chunk in chunks]
    for item in [*items, long_item]:
        assert sum(item in text for text in texts) == 1, item[:30]
    assert long_item in texts  # longer than the budget: a passage of its own, whole


def test_a_nested_list_stays_with_its_item() -> None:
    markdown = (
        "- Connect the cable\n  - HDMI 1 for the console\n  - HDMI 2 for the box\n- Turn it on"
    )
    chunk = chunk_markdown(markdown)[0]
    assert chunk.text == markdown


def test_a_code_block_is_never_cut() -> None:
    code = "```\n" + "\n".join(f"acme-cli set option{n} --value {n}" for n in range(40)) + "\n```"
    chunks = chunk_markdown(f"## CLI\n\n{_paragraph(2)}\n\n{code}\n\n{_paragraph(2)}", max_words=40)
    assert sum(code in chunk.text for chunk in chunks) == 1
    assert all(chunk.text.count("```") in (0, 2) for chunk in chunks)


def test_a_long_paragraph_is_cut_at_sentence_ends_with_overlap() -> None:
    sentences = [f"Sentence number {n} tells the customer one more thing." for n in range(30)]
    chunks = chunk_markdown(" ".join(sentences), max_words=40, overlap_words=10)
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.text.endswith(".") and chunk.text.startswith("Sentence number")
        assert word_count(chunk.text) <= 40
    for previous, following in pairwise(chunks):
        last_sentence = previous.text.rsplit(". ", 1)[-1]
        assert following.text.startswith(last_sentence.rstrip(".")), "overlap of one sentence"


def test_a_short_heading_section_joins_the_section_below_it() -> None:
    markdown = f"# Guide\n\nA short introduction.\n\n## Setup\n\n### Pairing\n\n{_paragraph(3)}\n"
    chunks = chunk_markdown(markdown, title="Guide")
    assert chunks == [
        Chunk(("Setup", "Pairing"), f"A short introduction.\n\n{_paragraph(3)}", 0),
    ]


def test_pdf_text_is_repaired_into_paragraphs_and_sub_headings() -> None:
    pdf_text = (
        "# Changing the content and settings for Ambient Mode\n\n"
        "When you press the\nbutton in\nAmbient Mode\n, the\nAmbient Mode\n"
        "browser screen appears. You can select content there.\n"
        "Setting up the content for Ambient Mode\n"
        "The\nAmbient Mode\nbrowser screen displays content at the top and categories at the\n"
        "bottom.\nYou can select the following categories and content:\n"
        "Decor\n: Allows you to select beautiful screens.\n"
        "- 59 -\n"
        "Changing the background color of Ambient Mode\n"
        "To change the background color of\nAmbient Mode\n, move the focus to a color, and\n"
        "then press the Select button. The colour is kept until you change it again.\n"
    )
    chunks = chunk_markdown(
        pdf_text, title="Changing the content and settings for Ambient Mode", min_words=0
    )
    assert [chunk.heading_path for chunk in chunks] == [
        (),
        ("Setting up the content for Ambient Mode",),
        ("Changing the background color of Ambient Mode",),
    ]
    assert chunks[0].text == (
        "When you press the button in Ambient Mode, the Ambient Mode browser screen appears. "
        "You can select content there."
    )
    assert "Decor: Allows you to select beautiful screens." in chunks[1].text
    assert "the bottom." in chunks[1].text
    assert all("59" not in chunk.text for chunk in chunks)
    assert chunks[2].text.startswith("To change the background color of Ambient Mode, move")


def test_a_fragment_inside_a_sentence_is_not_a_heading() -> None:
    text = "If you press the\nAmbient Mode\nbutton when the TV is off, it turns on in Ambient Mode."
    chunks = chunk_markdown(text)
    assert [chunk.heading_path for chunk in chunks] == [()]
    assert chunks[0].text.startswith("If you press the Ambient Mode button")


def test_without_a_title_the_first_top_heading_is_the_title() -> None:
    chunks = chunk_markdown(f"# Returns\n\n{_paragraph(3)}\n\n## Refund times\n\n{_paragraph(3)}")
    assert [chunk.heading_path for chunk in chunks] == [(), ("Refund times",)]


def test_chinese_text_counts_characters_as_words() -> None:
    assert word_count("退款需要五个工作日 refund") == 10


def test_short_sibling_sections_are_gathered_under_their_common_path() -> None:
    markdown = (
        "# Playback buttons\n\n## Controls\n\n"
        f"{_paragraph(3)}\n\n"
        "### Shuffle\n\nPlays music files in random order.\n\n"
        "### Zoom\n\nZooms in a photo by up to a factor of 4.\n\n"
        "### Repeat\n\nPlays the current file again.\n"
    )
    chunks = chunk_markdown(markdown, title="Playback buttons")
    assert [chunk.heading_path for chunk in chunks] == [("Controls",), ("Controls",)]
    assert chunks[1].text == (
        "Shuffle: Plays music files in random order.\n\n"
        "Zoom: Zooms in a photo by up to a factor of 4.\n\n"
        "Repeat: Plays the current file again."
    )


def test_numbered_sections_nest_by_their_numbers_but_numbered_steps_stay_a_list() -> None:
    text = (
        "2. Unified system\n"
        f"{FILLER}\n"
        "2.1. Directory layout\n"
        f"{FILLER}\n"
        "To pair it:\n"
        "1. Hold both buttons for three seconds\n"
        "2. Wait until the light blinks twice\n"
    )
    chunks = chunk_markdown(text, min_words=0)
    assert [chunk.heading_path for chunk in chunks] == [
        ("2. Unified system",),
        ("2. Unified system", "2.1. Directory layout"),
    ]
    assert chunks[1].text.endswith(
        "To pair it:\n\n1. Hold both buttons for three seconds\n"
        "2. Wait until the light blinks twice"
    )
