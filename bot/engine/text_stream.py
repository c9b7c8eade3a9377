"""Turning one request's generated token ids into text pieces, with stop strings held back.

``TextStream`` is pure Python over a ``decode`` function so it can be tested without a model.
It re-decodes the generated ids each step (replies are short, and this keeps multi-byte
characters and tokenizer clean-up right), emits only the new suffix, and never emits text that
could still turn out to be the start of a stop string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Decode = Callable[[Sequence[int]], str]


def _held_back(text: str, stops: Sequence[str]) -> int:
    """How many trailing characters of ``text`` could begin one of ``stops``."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


class TextStream:
    """Incremental text of one request: ``push`` ids, get new text, notice stop strings."""

    def __init__(self, decode: Decode, stops: Sequence[str] = ()) -> None:
        self._decode = decode
        self._stops = [s for s in stops if s]
        self._ids: list[int] = []
        self._emitted = 0
        self.text = ""
        self.stopped = False

    def push(self, token_id: int) -> str:
        """Add one generated token; return the text that is now safe to show (maybe "")."""
        self._ids.append(token_id)
        text = self._decode(self._ids)
        if text.endswith("\ufffd"):
            return ""  # half of a multi-byte character: wait for the rest
        self.text = text
        hits = [text.find(stop, max(0, self._emitted - len(stop))) for stop in self._stops]
        found = [at for at in hits if at != -1]
        if found:
            self.text = text[: min(found)]
            self.stopped = True
        end = len(self.text) if self.stopped else len(self.text) - _held_back(text, self._stops)
        if end <= self._emitted:
            return ""
        piece = self.text[self._emitted : end]
        self._emitted = end
        return piece

    def flush(self) -> str:
        """At the end of generation: the text still held back (it did not become a stop)."""
        if not self.stopped and self._ids:
            self.text = self._decode(self._ids)
        piece = self.text[self._emitted :]
        self._emitted = len(self.text)
        return piece
