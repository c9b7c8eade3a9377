"""Handing memory back to the operating system: dropped weight pages and the trimmed heap.

Resident memory, not allocated memory, is what the host charges for. Two things keep pages
resident after the engine is done with them: pages of released weights (see ``drop_pages``)
and free space glibc keeps inside its heaps (see ``trim_heap``).
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
from collections.abc import Iterable
from pathlib import Path

import torch

_MADV_DONTNEED = 4
_libc = None
with contextlib.suppress(OSError):
    _libc = ctypes.CDLL("libc.so.6", use_errno=True)


def drop_pages(tensors: Iterable[torch.Tensor]) -> None:
    """Tell the kernel we are done with the pages under ``tensors`` (released weights).

    A model loaded from safetensors reads its weights through one memory map of the whole
    file; the pages it touches stay resident until the last tensor on that map goes, so
    prepacking copy by copy used to hold the original and the packed weights at once (+260 MB
    at the peak for the bundled model). Only for tensors that are never read again, or that
    are ``is_file_backed``: a private mapping's page reads back from the file, an anonymous
    one as zeros.
    """
    if _libc is None:
        return
    page = mmap.PAGESIZE
    for tensor in tensors:
        start = tensor.data_ptr()
        end = start + tensor.untyped_storage().nbytes()
        first, last = -(-start // page) * page, end // page * page
        if last > first:
            _libc.madvise(ctypes.c_void_p(first), ctypes.c_size_t(last - first), _MADV_DONTNEED)


def is_file_backed(tensor: torch.Tensor) -> bool:
    """Whether ``tensor`` lies in a memory map of a file (how safetensors loads weights).

    Such pages are page cache: dropping them is safe (a touch reads them back from the file),
    and only the pages actually read count as resident. Anonymous memory (a GGUF conversion,
    a model built in memory) would read back as zeros, so it is never dropped.
    """
    start = tensor.data_ptr()
    end = start + tensor.untyped_storage().nbytes()
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return False
    for line in maps:
        fields = line.split(maxsplit=5)
        low, high = (int(bound, 16) for bound in fields[0].split("-"))
        if low <= start < high:
            name = fields[5] if len(fields) == 6 else ""
            return end <= high and name.startswith("/") and not name.endswith("(deleted)")
    return False


def trim_heap() -> None:
    """Return the free pages inside glibc's heaps to the OS (no-op elsewhere).

    A prefill step allocates and frees tens of MB of activations and a prompt's keys/values;
    once glibc's mmap threshold has risen those come from the heap, and the holes they leave
    stay resident until trimmed (up to ~50 MB at the end of a 16-prompt burst here).
    """
    if _libc is not None:
        _libc.malloc_trim(0)
