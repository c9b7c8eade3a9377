"""What the engine keeps resident: the tied input embedding is never copied; loaded from
safetensors it stays a map of the file (only the rows of tokens seen become resident), and the
answers stay those of the plain bfloat16 weights."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM

from bot.engine.local import LocalEngine
from bot.engine.memory import is_file_backed
from tests.engine.tiny_model import chat

QUESTIONS = ["Where is my order?", "Do you ship to Canada?", "hi"]


def test_file_backed_is_told_from_anonymous_memory(tmp_path: Path) -> None:
    anonymous = torch.ones(1 << 16)
    path = tmp_path / "weights.bin"
    path.write_bytes(bytes(1 << 18))
    mapped = torch.from_file(str(path), shared=False, size=1 << 16, dtype=torch.float32)
    assert not is_file_backed(anonymous)
    assert is_file_backed(mapped)


async def test_engine_reads_the_embedding_from_the_file_it_was_loaded_from(
    tiny_parts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, tokenizer = tiny_parts
    copy.deepcopy(model).to(torch.bfloat16).save_pretrained(tmp_path / "tiny")
    loaded = AutoModelForCausalLM.from_pretrained(tmp_path / "tiny", dtype=torch.bfloat16)
    embedding = loaded.get_input_embeddings().weight
    assert embedding.data_ptr() == loaded.get_output_embeddings().weight.data_ptr()  # tied
    mapped_from_file = is_file_backed(embedding)
    engine = LocalEngine(loaded, tokenizer)
    runner = engine.worker.runner
    if not runner.released_model:
        pytest.skip("this torch build cannot prepack bfloat16 weights")
    assert next(loaded.parameters()).device.type == "meta"
    assert runner.embed.data_ptr() == embedding.data_ptr()  # the very tensor, not a copy
    assert is_file_backed(runner.embed) == mapped_from_file
    with monkeypatch.context() as patch:
        patch.setattr("bot.engine.linear.can_prepack", lambda dtype: False)
        again = AutoModelForCausalLM.from_pretrained(tmp_path / "tiny", dtype=torch.bfloat16)
        plain = LocalEngine(again, tokenizer)
    engine.start()
    plain.start()
    requests = [chat(q, max_new_tokens=12, ignore_eos=True) for q in QUESTIONS]
    texts = [(await engine.generate(r)).text for r in requests]
    plain_texts = [(await plain.generate(r)).text for r in requests]
    await engine.close()
    await plain.close()
    assert texts == plain_texts
