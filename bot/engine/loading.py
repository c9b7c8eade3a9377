"""Loading the local model: dtype and thread choice, GGUF conversion cached as safetensors.

transformers converts a GGUF file to plain tensors on every load (about 12 s here). The first
load saves the converted model and tokenizer under ``SUPPORTBOT_MODEL_CACHE_DIR``; later loads
read those safetensors (about 0.5 s) with identical output. Loading is blocking: callers run it
in a thread (``load_engine`` does).
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig, PreTrainedModel
from transformers.tokenization_utils_base import PreTrainedTokenizerBase

from bot.engine.base import EngineUnavailable
from bot.engine.memory import trim_heap
from bot.engine.model_source import SETTING, ModelSource

log = logging.getLogger(__name__)


@dataclass(slots=True)
class LoadedModel:
    """A model ready for inference, with where it came from and how long loading took."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    source: ModelSource
    dtype: torch.dtype
    load_seconds: float
    from_cache: bool


def configure_threads(threads: int | None) -> int:
    """Set torch's intra-op threads (default: all cores) and return the number used."""
    count = threads or os.cpu_count() or 1
    torch.set_num_threads(count)
    return count


def release_free_memory() -> None:
    """Collect garbage and hand freed heap pages back to the OS (glibc), so RSS drops."""
    gc.collect()
    trim_heap()


def _cache_folder(source: ModelSource, dtype: torch.dtype, cache_dir: Path) -> Path:
    stat = source.gguf_path.stat()
    dtype_name = str(dtype).removeprefix("torch.")
    return cache_dir / f"{source.gguf_path.stem}-{stat.st_size}-{int(stat.st_mtime)}-{dtype_name}"


def _is_complete(folder: Path) -> bool:
    return (folder / "config.json").is_file() and any(folder.glob("*.safetensors"))


def _save_cache(loaded: LoadedModel, folder: Path) -> None:
    """Write the converted model atomically (a half-written cache is never read)."""
    partial = folder.with_name(folder.name + f".partial-{os.getpid()}")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        loaded.model.save_pretrained(partial, safe_serialization=True)
        loaded.tokenizer.save_pretrained(partial)
        os.replace(partial, folder)
        log.info("cached converted model in %s", folder)
    except OSError as exc:
        log.warning("could not cache the converted model in %s: %s", folder, exc)
        shutil.rmtree(partial, ignore_errors=True)


def _from_pretrained(
    location: str, dtype: torch.dtype, gguf_file: str | None = None
) -> LoadedModel:
    if gguf_file is None:
        tokenizer = AutoTokenizer.from_pretrained(location)
        model = AutoModelForCausalLM.from_pretrained(location, dtype=dtype)
    else:
        # Dense weights: the engine's packed forward reads plain tensors, and bfloat16 matmuls
        # beat transformers' float32 GGUF block kernels here.
        tokenizer = AutoTokenizer.from_pretrained(location, gguf_file=gguf_file)
        model = AutoModelForCausalLM.from_pretrained(
            location,
            gguf_file=gguf_file,
            dtype=dtype,
            quantization_config=GgufConfig(gguf_file=gguf_file, dequantize=True),
        )
    model.eval()
    return LoadedModel(model, tokenizer, ModelSource("directory", location, ""), dtype, 0.0, False)


def load_model(source: ModelSource, dtype: torch.dtype, cache_dir: Path | None) -> LoadedModel:
    """Load ``source`` in ``dtype``; GGUF files go through (and fill) the safetensors cache."""
    started = time.perf_counter()
    from_cache = False
    try:
        if source.kind == "gguf":
            folder = _cache_folder(source, dtype, cache_dir) if cache_dir else None
            if folder is not None and _is_complete(folder):
                loaded, from_cache = _from_pretrained(str(folder), dtype), True
            else:
                log.info("converting %s to %s (first start only)", source.location, dtype)
                path = source.gguf_path
                loaded = _from_pretrained(str(path.parent), dtype, gguf_file=path.name)
                if folder is not None:
                    _save_cache(loaded, folder)
        elif source.kind == "directory":
            loaded = _from_pretrained(source.location, dtype)
        else:
            loaded = _load_from_hub(source, dtype)
    except EngineUnavailable:
        raise
    except (OSError, ValueError) as exc:
        raise EngineUnavailable(f"{SETTING}={source.location!r}: cannot load model: {exc}") from exc
    release_free_memory()
    loaded.source = source
    loaded.from_cache = from_cache
    loaded.load_seconds = time.perf_counter() - started
    log.info(
        "loaded %s (%s%s) in %.1f s",
        source.name,
        str(dtype).removeprefix("torch."),
        ", cached conversion" if from_cache else "",
        loaded.load_seconds,
    )
    return loaded


def _load_from_hub(source: ModelSource, dtype: torch.dtype) -> LoadedModel:
    try:
        return _from_pretrained(source.location, dtype)
    except OSError as exc:
        raise EngineUnavailable(
            f"{SETTING}={source.location!r}: not a local path and the Hugging Face hub could not "
            f"provide it (offline, or no such model); set {SETTING} to smollm2-135m, a model "
            f"directory or a .gguf file ({type(exc).__name__})"
        ) from exc
