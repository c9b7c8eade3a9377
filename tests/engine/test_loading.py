"""Model resolution (SUPPORTBOT_MODEL) and loading, without the real model."""

from __future__ import annotations

from pathlib import Path

import huggingface_hub.constants
import pytest
import torch

from bot.config import load_settings
from bot.engine import load_engine
from bot.engine.base import EngineUnavailable
from bot.engine.loading import load_model
from bot.engine.local import LocalEngine
from bot.engine.model_source import resolve_model
from bot.engine.remote import RemoteEngine
from tests.engine.tiny_model import chat


def test_bundled_model_is_found_inside_the_wheel() -> None:
    source = resolve_model("smollm2-135m")
    assert source.kind == "gguf"
    assert source.gguf_path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert source.gguf_path.is_file()


@pytest.mark.parametrize("value", ["./missing.gguf", "/no/such/dir", "~/nothing/here/"])
def test_missing_paths_name_the_setting(value: str) -> None:
    with pytest.raises(EngineUnavailable, match="SUPPORTBOT_MODEL"):
        resolve_model(value)


def test_directory_without_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EngineUnavailable, match=r"config\.json"):
        resolve_model(str(tmp_path))


def test_offline_hub_id_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    source = resolve_model("supportbot-tests/no-such-model")
    assert source.kind == "hub"
    with pytest.raises(EngineUnavailable, match="SUPPORTBOT_MODEL=") as caught:
        load_model(source, torch.float32, None)
    assert "offline" in str(caught.value)


async def test_model_directory_loads_and_generates(tmp_path: Path, tiny_parts) -> None:
    model, tokenizer = tiny_parts
    model.save_pretrained(tmp_path / "tiny")
    tokenizer.save_pretrained(tmp_path / "tiny")
    loaded = load_model(resolve_model(str(tmp_path / "tiny")), torch.float32, None)
    assert loaded.source.kind == "directory"
    assert loaded.model.dtype == torch.float32
    original = LocalEngine(model, tokenizer)
    reloaded = LocalEngine(loaded.model, loaded.tokenizer)
    original.start()
    reloaded.start()
    request = chat("Where is my order?", max_new_tokens=10)
    first, second = await original.generate(request), await reloaded.generate(request)
    await original.close()
    await reloaded.close()
    assert first.text == second.text


async def test_openai_prefix_selects_the_remote_engine() -> None:
    engine = await load_engine(load_settings(model="openai:http://127.0.0.1:9/v1"))
    assert isinstance(engine, RemoteEngine)
    await engine.close()
