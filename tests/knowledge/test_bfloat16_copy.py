"""The bfloat16 copy of a float32 model folder (``bot.knowledge.encoders.bfloat16_copy``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import save_file
from safetensors.torch import load_file

from bot.knowledge.encoders.bfloat16_copy import WEIGHTS, bfloat16_folder


def test_weights_are_rounded_as_torch_rounds_and_other_files_kept(tmp_path: Path) -> None:
    source = tmp_path / "model"
    (source / "1_Pooling").mkdir(parents=True)
    (source / "1_Pooling" / "config.json").write_text("{}")
    halfway = np.array([1.0 + 2**-8, 1.0 + 3 * 2**-8, -(1.0 + 2**-8)], dtype=np.float32)
    weights = {
        "embeddings": np.random.default_rng(3).normal(size=(300, 7)).astype(np.float32),
        "ties": halfway,  # exactly between two bfloat16 values: to the even one
        "special": np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 3e38], dtype=np.float32),
        "position_ids": np.arange(12, dtype=np.int64).reshape(1, 12),
    }
    save_file(weights, str(source / WEIGHTS), metadata={"format": "pt"})

    copy = bfloat16_folder(source, tmp_path / "model-bfloat16")
    assert (copy / "1_Pooling" / "config.json").read_text() == "{}"
    converted = load_file(str(copy / WEIGHTS))
    for name, value in weights.items():
        expected = torch.from_numpy(value)
        if expected.dtype == torch.float32:
            expected = expected.to(torch.bfloat16)
        assert converted[name].dtype == expected.dtype, name
        assert torch.equal(converted[name].isnan(), expected.isnan()), name
        finite = ~expected.isnan()
        assert torch.equal(converted[name][finite], expected[finite]), name
    assert not list(tmp_path.glob(".bf16-*"))  # no scratch folder left behind
    assert bfloat16_folder(source, copy) == copy  # made once
