"""Exact wordings: a question asked word for word as an entry words it ranks that entry first.

An admin who wrote "可以退货吗？" as a phrasing of the return-policy entry expects that question
to get that entry; ranked on shared terms alone, the how-to-return entry (whose question and
answer also say 退货) won. So every entry's question and phrasings are kept normalised (case,
spaces and punctuation ignored), and a question equal to one of them gets ``EXACT_BONUS`` added
to that entry's fused score. When two entries share the wording both get it, their margin stays
small and neither is confident: the customer is asked which one was meant.
"""

from __future__ import annotations

from bot.knowledge.entries import FaqDocument

EXACT_BONUS = 0.5  # larger than any gap between the fused scores of two paraphrases


def normalised(text: str) -> str:
    """Letters and digits only, case-folded: "Can I return it?" == "can i return it"."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class Phrasings:
    """Normalised question and phrasings -> the slots of the entries that word it so."""

    def __init__(self) -> None:
        self._slots: dict[str, set[int]] = {}
        self._keys: dict[int, set[str]] = {}

    def set(self, slot: int, document: FaqDocument) -> None:
        """Index the wordings of ``document`` at ``slot`` (replacing the slot's old ones)."""
        self.clear(slot)
        keys = {normalised(text) for text in (document.question, *document.variants)}
        keys.discard("")
        self._keys[slot] = keys
        for key in keys:
            self._slots.setdefault(key, set()).add(slot)

    def clear(self, slot: int) -> None:
        """Forget the wordings of ``slot`` (no-op when it has none)."""
        for key in self._keys.pop(slot, set()):
            slots = self._slots.get(key)
            if slots is not None:
                slots.discard(slot)
                if not slots:
                    del self._slots[key]

    def slots(self, query: str) -> list[int]:
        """Slots of the entries worded exactly as ``query`` (usually none)."""
        return sorted(self._slots.get(normalised(query), ()))
