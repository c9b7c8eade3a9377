"""Handing a memory-mapped model's weight pages back to the page cache as soon as they ran.

transformers loads a safetensors file whose dtype is the model's by mapping the file: the
weights are the file's own pages, and every page a forward pass touched stays in the process's
resident memory. For a model that runs now and then, the mpnet reranker (one English question in
a few), that was about 165 MB held between uses, on top of everything else whenever it ran: it
was what pushed the bot's peak over 1.1 GB. ``MappedWeights.release`` tells the kernel the
process is done with some weights' pages (``MADV_DONTNEED``): they stay in the page cache, and
the next pass maps them again from there. Released layer by layer as the forward pass goes
(``TransformerEncoder``'s ``page_out``), the model is never resident as a whole; it costs about
30 ms a re-ranked question (79 -> 105-140 ms, measured under load), and after the page cache
lost the file (memory pressure), a pass reads it from disk once.

Only weights lying wholly in clean mappings of the file are released: a page the process wrote
to would read back as the file's content, so a mapping with any anonymous page disables it.
Linux only; elsewhere nothing happens. Plain ctypes: no torch here (tensors are duck-typed).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import mmap
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MADV_DONTNEED = 4
_libc = None
with contextlib.suppress(OSError):
    _libc = ctypes.CDLL("libc.so.6", use_errno=True)


def file_mappings(path: Path, smaps: str | None = None) -> list[tuple[int, int, int]]:
    """(start, end, anonymous kB) of each mapping of ``path`` in this process."""
    try:
        text = smaps if smaps is not None else Path("/proc/self/smaps").read_text()
    except OSError:
        return []
    wanted = os.path.realpath(path)
    found: list[tuple[int, int, int]] = []
    current: list[int] | None = None
    for line in text.splitlines():
        fields = line.split(maxsplit=5)
        if "-" in fields[0] and not fields[0].endswith(":"):  # a mapping's header line
            current = None
            if len(fields) == 6 and fields[5] == wanted:
                low, high = (int(bound, 16) for bound in fields[0].split("-"))
                current = [low, high, 0]
                found.append((low, high, 0))
        elif current is not None and fields[0] == "Anonymous:":
            current[2] = int(fields[1])
            found[-1] = (current[0], current[1], current[2])
    return found


class MappedWeights:
    """The weights of one model that lie in clean mappings of its weights file ``path``."""

    def __init__(self, path: Path, tensors: Iterable[Any]) -> None:
        self.path = path
        mappings = [(low, high) for low, high, anonymous in file_mappings(path) if not anonymous]
        tensors = list(tensors)
        self.mapped = bool(tensors) and all(
            any(low <= first and last <= high for low, high in mappings)
            for first, last in map(_extent, tensors)
        )
        self._checked = {id(tensor) for tensor in tensors}

    def release(self, tensors: Iterable[Any]) -> int:
        """Drop the resident pages lying wholly inside ``tensors`` (some of those checked at
        start); returns the bytes released (0 when the weights are not all mapped clean)."""
        if _libc is None or not self.mapped:
            return 0
        page = mmap.PAGESIZE
        released = 0
        for tensor in tensors:
            if id(tensor) not in self._checked:
                continue
            start, end = _extent(tensor)
            first, last = -(-start // page) * page, end // page * page
            if last > first:
                _libc.madvise(ctypes.c_void_p(first), ctypes.c_size_t(last - first), MADV_DONTNEED)
                released += last - first
        return released


def _extent(tensor: Any) -> tuple[int, int]:
    """The address range of a (contiguous) tensor's values."""
    start = int(tensor.data_ptr())
    return start, start + int(tensor.numel()) * int(tensor.element_size())


def page_out_after_forward(model: Any, weights: Path) -> bool:
    """Hand each of ``model``'s modules' weight pages back to the page cache after the module
    ran (a torch module, duck-typed); False, and nothing hooked, when its weights are not all
    clean mapped pages of the file ``weights``."""
    mapped = MappedWeights(weights, model.parameters())
    if not mapped.mapped:
        log.info("%s is not mapped from its file; its weights stay resident", weights)
        return False
    for module in model.modules():
        own = list(module.parameters(recurse=False))
        if own:
            module.register_forward_hook(_releasing(mapped, own))
    return True


def _releasing(mapped: MappedWeights, tensors: list[Any]) -> Callable[..., None]:
    """A forward hook releasing ``tensors`` (it returns None: the module's output stands)."""

    def hook(*_: object) -> None:
        mapped.release(tensors)

    return hook
