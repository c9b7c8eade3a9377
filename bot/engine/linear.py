"""Linear layers of the packed forward, one kind per weight format (see ``cpu.choose_format``).

- ``bfloat16``: oneDNN-prepacked weights. ``F.linear`` on bfloat16 repacks the weight into
  oneDNN's blocked layout on every call; prepacking once (``mkldnn._reorder_linear_weight``,
  what torch.compile's freezing does) measured 1.4-1.8x faster at 1-16 rows, 1.5x on the
  49k-row output head and 1.08x at 528 rows, with bit-identical results.
- ``float32``: plain ``F.linear`` (MKL), so float32 stays comparable with transformers.
- ``float16``: fbgemm's fp16-weight GEMM (weights stored as float16, float32 arithmetic):
  float32's greedy output at fewer bytes (fbgemm pads inputs to blocks of 512 columns, so the
  columns past the last whole block are kept as float16 beside it: ``Float16Linear``).
- ``int8``: int8 weights (one scale per output channel) and activations quantized at run time
  by fbgemm (AVX2 integer dot products). fbgemm quantizes a whole activation matrix with one
  scale, which one outlier token (the first positions of a prompt are ~100x the others) would
  ruin for every other row; each row is therefore divided by its own largest magnitude first
  and the output multiplied back: per-token quantization through a per-tensor kernel (exact,
  since a linear layer is linear in each row). ``reduce_range`` (7-bit activations) is what
  keeps AVX2's 16-bit intermediate sums from saturating.
The layers that hold their own copy (``owns_copy``) let the engine release the model's tensor.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F

from bot.engine.cpu import KERNELS, WeightFormat

log = logging.getLogger(__name__)


def can_prepack(dtype: torch.dtype) -> bool:
    """Whether this torch build can prepack ``dtype`` linear weights for oneDNN."""
    return (
        dtype == torch.bfloat16
        and torch.backends.mkldnn.is_available()
        and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")
        and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    )


@contextlib.contextmanager
def _quantized_engine(name: str) -> Iterator[None]:
    """Prepack with ``name``'s kernels; the global choice is put back afterwards (a packed
    weight remembers its engine, so calls need no global state)."""
    previous = torch.backends.quantized.engine
    torch.backends.quantized.engine = name
    try:
        yield
    finally:
        torch.backends.quantized.engine = previous


class Linear:
    """``y = x @ weight.T + bias`` with the weight plain (float32, or bfloat16 without oneDNN)."""

    __slots__ = ("bias", "out_features", "weight")
    owns_copy = False
    kind = KERNELS["float32"]

    def __init__(self, weight: Any, bias: torch.Tensor | None, out_features: int) -> None:
        self.out_features = out_features
        self.weight = weight  # a tensor, or a packed-weight object of the kernel
        self.bias = bias

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


class PrepackedLinear(Linear):
    """bfloat16 weights in oneDNN's blocked layout, packed once for ``rows_hint`` rows."""

    __slots__ = ()
    owns_copy = True
    kind = KERNELS["bfloat16"]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.mkldnn._linear_pointwise(x, self.weight, self.bias, "none", [], "")


class Float16Linear(Linear):
    """float16 weights packed for fbgemm; float32 in, float32 out.

    fbgemm packs the input dimension in blocks of 512 (``FBGEMM_BLOCK``): a 576-wide weight
    takes 1,024 columns' room, 3.55 bytes a weight instead of 2. So the first whole blocks go
    to fbgemm and the few columns past them (64 of 576) stay beside it as float16, widened
    per call and added by one ``addmm_``: 2.05 instead of 3.55 bytes a weight (-160 MB for
    SmolLM2-135M), 3-12% slower per call, the same output within float32 summation order.
    """

    __slots__ = ("tail",)
    owns_copy = True
    kind = KERNELS["float16"]

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        width = weight.shape[1]
        whole = _fbgemm_columns(width)
        with _quantized_engine("fbgemm"):
            packed = torch.ops.quantized.linear_prepack_fp16(
                weight[:, :whole].float().contiguous(), _f32(bias)
            )
        super().__init__(packed, None, weight.shape[0])
        self.tail: torch.Tensor | None = None
        if whole < width:  # [tail columns, out]: what addmm_ wants as its second matrix
            self.tail = weight[:, whole:].to(torch.float16).t().contiguous()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.tail is None:
            return torch.ops.quantized.linear_dynamic_fp16(x, self.weight)
        whole = x.shape[-1] - self.tail.shape[0]
        y = torch.ops.quantized.linear_dynamic_fp16(x[..., :whole], self.weight)
        return y.addmm_(x[..., whole:], self.tail.float())


FBGEMM_BLOCK = 512  # fbgemm's fp16 packing rounds the input dimension up to this


def _fbgemm_columns(width: int) -> int:
    """How many input columns to pack for fbgemm: its whole blocks (the rest is kept as float16
    beside it: 2 bytes a column, no padding), or all of them when narrower than one block."""
    return width // FBGEMM_BLOCK * FBGEMM_BLOCK or width


class Int8Linear(Linear):
    """int8 weights (per output channel), activations quantized per token at run time."""

    __slots__ = ()
    owns_copy = True
    kind = KERNELS["int8"]

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        w = weight.detach().float()
        scale = (w.abs().amax(dim=1) / 127).clamp_min(1e-12).double()
        zero = torch.zeros(w.shape[0], dtype=torch.long)
        with warnings.catch_warnings():  # deprecated with torch.ao; pinned torch 2.13 has it
            warnings.simplefilter("ignore", UserWarning)
            quantized = torch.quantize_per_channel(w, scale, zero, 0, torch.qint8)
        with _quantized_engine("fbgemm"):
            packed = torch.ops.quantized.linear_prepack(quantized, None)
        super().__init__(packed, _f32(bias), w.shape[0])

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        # abs().amax(): 17x faster here than linalg.vector_norm(inf) (11% of a prefill step)
        peak = x.abs().amax(dim=-1, keepdim=True).clamp_min_(1e-12)
        y = torch.ops.quantized.linear_dynamic(x / peak, self.weight, True).mul_(peak)
        return y if self.bias is None else y.add_(self.bias)


def _f32(tensor: torch.Tensor | None) -> torch.Tensor | None:
    return None if tensor is None else tensor.detach().float()


def make_linear(
    weight: torch.Tensor, bias: torch.Tensor | None, fmt: WeightFormat, *, rows_hint: int
) -> Linear:
    """The linear layer of ``fmt`` for ``weight`` (falls back to a plain one when the
    format's kernel is unavailable on this CPU or build)."""
    try:
        if fmt == "int8":
            return Int8Linear(weight, bias)
        if fmt == "float16":
            return Float16Linear(weight, bias)
        if fmt == "bfloat16" and can_prepack(weight.dtype):
            packed = torch.ops.mkldnn._reorder_linear_weight(weight, rows_hint)
            linear = PrepackedLinear(packed, bias, weight.shape[0])
            linear(torch.zeros(1, weight.shape[1], dtype=weight.dtype))  # supported here?
            return linear
    except RuntimeError as exc:  # not supported by this CPU / build
        log.info("%s kernels unavailable (%s); using F.linear", fmt, exc)
    return Linear(weight, bias, weight.shape[0])
