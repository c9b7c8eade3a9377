"""TextStream: incremental text with stop strings held back until they are decided."""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.text_stream import TextStream


def byte_decoder(pieces: list[bytes]):
    """Token id i decodes to pieces[i]; invalid UTF-8 shows as U+FFFD like real tokenizers."""

    def decode(ids: Sequence[int]) -> str:
        return b"".join(pieces[i] for i in ids).decode("utf-8", errors="replace")

    return decode


def feed(stream: TextStream, ids: Sequence[int]) -> list[str]:
    out = []
    for token in ids:
        out.append(stream.push(token))
        if stream.stopped:
            break
    out.append(stream.flush())
    return [p for p in out if p]


def test_pieces_concatenate_to_the_text() -> None:
    stream = TextStream(byte_decoder([b"Hel", b"lo", b" wor", b"ld"]))
    assert feed(stream, [0, 1, 2, 3]) == ["Hel", "lo", " wor", "ld"]
    assert stream.text == "Hello world" and not stream.stopped


def test_stop_string_across_tokens_is_cut_and_never_emitted() -> None:
    stream = TextStream(byte_decoder([b"Yes.", b"\n", b"[2", b"] Q"]), stops=["\n["])
    pieces = feed(stream, [0, 1, 2, 3])
    assert stream.stopped
    assert stream.text == "Yes."
    assert "".join(pieces) == "Yes."


def test_held_back_text_is_released_when_it_is_not_a_stop() -> None:
    stream = TextStream(byte_decoder([b"a", b"\n", b"b"]), stops=["\n["])
    assert stream.push(0) == "a"
    assert stream.push(1) == ""  # could be the start of "\n["
    assert stream.push(2) == "\nb"


def test_earliest_of_several_stops_wins() -> None:
    stream = TextStream(byte_decoder([b"one END two STOP"]), stops=["STOP", "END"])
    feed(stream, [0])
    assert stream.text == "one "


def test_split_multibyte_character_waits_for_its_second_half() -> None:
    euro = "€".encode()
    stream = TextStream(byte_decoder([b"5 ", euro[:1], euro[1:]]))
    assert stream.push(0) == "5 "
    assert stream.push(1) == ""
    assert stream.push(2) == "€"
