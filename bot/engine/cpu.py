"""What this CPU can run fast, and the weight format the engine picks for it at start-up.

The engine's figures were first measured on a CPU with AVX-512 BF16, where bfloat16 weights
and activations are native. Most rented machines (AMD EPYC before Zen 4, older Intel) have
AVX2 only; there bfloat16 is emulated and float32 weights are twice as large, so the engine
picks another format (``choose_format``). The capability is read from torch
(``torch.backends.cpu.get_cpu_capability()``), which honours ``ATEN_CPU_CAPABILITY``: running
with ``ATEN_CPU_CAPABILITY=avx2`` makes this module, like torch's own kernels, treat an
AVX-512 BF16 machine as an AVX2 one (how the AVX2 path is reproduced and tested anywhere).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

WeightFormat = Literal["bfloat16", "float32", "float16", "int8"]
FORMATS: tuple[WeightFormat, ...] = ("bfloat16", "float32", "float16", "int8")
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
# The kernel each format's linear layers run (``linear``), as the reports name it.
KERNELS: dict[WeightFormat, str] = {
    "bfloat16": "onednn-prepacked-bf16",
    "float32": "f.linear",
    "float16": "fbgemm-fp16-weights",
    "int8": "fbgemm-int8-dynamic",
}


@dataclass(frozen=True, slots=True)
class CpuInfo:
    """The CPU as torch sees it: its vector capability and native bfloat16 support."""

    capability: str  # torch's name: "AVX2", "AVX512", "DEFAULT", "SVE256", ...
    native_bf16: bool
    machine: str


def _cpu_flags() -> frozenset[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def cpu_info() -> CpuInfo:
    """Read the CPU once per call: torch's dispatch capability and bfloat16 support.

    Native bfloat16 needs the instructions (AVX-512 BF16 / AMX on x86, BF16 on ARM) *and*
    torch dispatching to the kernels that use them: with ``ATEN_CPU_CAPABILITY=avx2`` torch
    runs its AVX2 kernels, so bfloat16 would be emulated and this reports it as absent.
    """
    capability = torch.backends.cpu.get_cpu_capability()
    machine = platform.machine().lower()
    flags = _cpu_flags()
    if machine in ("x86_64", "amd64"):
        native = capability.startswith("AVX512") and bool(flags & BF16_FLAGS)
    else:
        native = "bf16" in flags or machine == "arm64"  # Apple silicon has no /proc/cpuinfo
    return CpuInfo(capability=capability, native_bf16=native, machine=machine)


def fbgemm_available() -> bool:
    """Whether torch's quantized CPU kernels (fbgemm, x86 only) are in this build."""
    return "fbgemm" in torch.backends.quantized.supported_engines


def choose_format(setting: str, info: CpuInfo | None = None) -> WeightFormat:
    """``auto``: bfloat16 where the CPU has it natively; else float16 weights (fbgemm, x86)
    or float32. An explicit format is kept.

    Measured on forced AVX2 for the bundled model (2 threads, 16-row decode step / 512-token
    prefill chunk): float32 126 / 885 ms, float16 82 / 840 ms, int8 59-95 / 670-740 ms.
    float16 gives float32's greedy tokens (logits within 0.03); int8, which also quantizes
    activations, moves logits by 3-4 and the greedy text after 0-13 tokens (the model's
    weights are 4-bit blocks that one int8 scale per channel cannot hold), so it is opt-in
    (``SUPPORTBOT_MODEL_DTYPE=int8``) for when speed and memory matter more than fidelity.
    """
    if setting != "auto":
        if setting not in FORMATS:
            raise ValueError(f"unknown weight format {setting!r} (expected one of {FORMATS})")
        return setting  # type: ignore[return-value]
    info = info or cpu_info()
    if info.native_bf16:
        return "bfloat16"
    return "float16" if fbgemm_available() else "float32"


def load_dtype(fmt: WeightFormat) -> torch.dtype:
    """The dtype the checkpoint is loaded in before the engine takes the weights over
    (the narrower formats are made from float32 layer by layer, never all at once)."""
    return torch.bfloat16 if fmt == "bfloat16" else torch.float32


def kv_cache_dtype(fmt: WeightFormat) -> torch.dtype:
    """What the KV cache (batch rows, prompts, prefix blocks) stores for ``fmt``.

    float16 for the narrow formats under float32 activations: half the memory (16 rows of 512
    positions are 377 MB in float32, more than the float16 weights) and half the bytes a
    decode step reads; the upcast per layer costs about what the wider read did, and greedy
    output stays float32's (``tests/engine/test_format_equivalence.py``). bfloat16 keeps
    bfloat16; float32 stays the unrounded reference.
    """
    if fmt in ("float16", "int8"):
        return torch.float16
    return load_dtype(fmt)


def describe(fmt: WeightFormat, kernel: str, info: CpuInfo | None = None) -> dict[str, str | bool]:
    """What the engine runs, for ``bench.engine --json`` and ``supportbot status``."""
    info = info or cpu_info()
    return {
        "cpu_capability": info.capability,
        "cpu_native_bf16": info.native_bf16,
        "weights": fmt,
        "activations": "bfloat16" if fmt == "bfloat16" else "float32",
        "kv_cache": str(kv_cache_dtype(fmt)).removeprefix("torch."),
        "kernel": kernel,
    }


def host_report(setting: str) -> dict[str, str | bool]:
    """What a local engine started here with ``setting`` would run (``supportbot status``
    when no running instance answers; the instance itself reports ``LocalEngine.runs``)."""
    fmt = choose_format(setting)
    return describe(fmt, KERNELS[fmt])
