"""A bfloat16 copy of a float32 sentence-transformers folder, written once into the model cache.

all-mpnet-base-v2 ships in float32 (438 MB). Where the CPU computes bfloat16 the encoder runs in
it, and transformers loading float32 weights into a bfloat16 model held both at once: measured
here, the process peaked 796 MB above where it started for a model that then keeps about 380 MB.
Loading a bfloat16 file instead peaked at what it keeps. So the weights are converted once,
tensor by tensor and in blocks (never more than a few MB in memory), with round-to-nearest-even
as ``torch.Tensor.to(torch.bfloat16)`` does, into a sibling folder that is renamed into place
when complete. Plain file reads and numpy: nothing here needs torch.

MiniLM (``cached_copy``) gets the same: loading its float32 file into bfloat16 held both (+86 MB
at start), and a bfloat16 file's weights are its mapped pages, vocabulary rows no text uses
never resident.
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

log = logging.getLogger(__name__)

WEIGHTS = "model.safetensors"
BLOCK = 1 << 20  # float32 values converted at a time


def bfloat16_folder(source: Path, target: Path) -> Path:
    """``target``: ``source``'s files with its float32 weights in bfloat16 (made once)."""
    if (target / WEIGHTS).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".bf16-") as scratch:
        staged = Path(scratch) / target.name
        shutil.copytree(source, staged, ignore=shutil.ignore_patterns(WEIGHTS))
        with (source / WEIGHTS).open("rb") as reader, (staged / WEIGHTS).open("wb") as writer:
            convert(reader, writer)
        shutil.rmtree(target, ignore_errors=True)
        staged.rename(target)
    return target


def cached_copy(source: Path, cache_dir: Path, name: str) -> Path:
    """``source``'s bfloat16 copy in ``cache_dir`` (named after its weights' size and time, so
    a new version gets a new copy), or ``source`` itself when the copy cannot be written."""
    stat = (source / WEIGHTS).stat()
    target = cache_dir / f"{name}-{stat.st_size}-{int(stat.st_mtime)}-bfloat16"
    try:
        return bfloat16_folder(source, target)
    except OSError as exc:
        log.warning("cannot write a bfloat16 copy of %s in %s (%s)", name, target, exc)
        return source


def convert(reader: BinaryIO, writer: BinaryIO) -> None:
    """Copy a safetensors stream, its F32 tensors as BF16 (other dtypes unchanged)."""
    (length,) = struct.unpack("<Q", reader.read(8))
    header: dict[str, Any] = json.loads(reader.read(length))
    start = 8 + length
    tensors = sorted(
        ((name, info) for name, info in header.items() if name != "__metadata__"),
        key=lambda item: item[1]["data_offsets"][0],
    )
    out: dict[str, Any] = (
        {"__metadata__": header["__metadata__"]} if "__metadata__" in header else {}
    )
    offset = 0
    for name, info in tensors:
        begin, end = info["data_offsets"]
        size = (end - begin) // 2 if info["dtype"] == "F32" else end - begin
        dtype = "BF16" if info["dtype"] == "F32" else info["dtype"]
        out[name] = {
            "dtype": dtype,
            "shape": info["shape"],
            "data_offsets": [offset, offset + size],
        }
        offset += size
    encoded = json.dumps(out, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned
    writer.write(struct.pack("<Q", len(encoded)) + encoded)
    for _, info in tensors:
        begin, end = info["data_offsets"]
        reader.seek(start + begin)
        remaining = end - begin
        while remaining:
            chunk = reader.read(min(remaining, 4 * BLOCK))
            remaining -= len(chunk)
            writer.write(to_bfloat16(chunk) if info["dtype"] == "F32" else chunk)


def to_bfloat16(raw: bytes) -> bytes:
    """Little-endian float32 values as bfloat16, rounded to nearest, ties to even."""
    bits = np.frombuffer(raw, dtype="<u4").astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    nan = (bits & 0x7FFFFFFF) > 0x7F800000
    rounded[nan] = (bits[nan] >> 16) | 0x40  # a NaN stays a (quiet) NaN
    return rounded.astype("<u2").tobytes()
