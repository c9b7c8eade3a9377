"""One decoder layer of a transformers Llama/Mistral/Qwen2 model, taken over by ``PackedLlama``.

q/k/v and gate/up are fused into one matrix each. Without prepacking, the original modules are
re-pointed at slices of the fused matrices, so no second copy is kept and the transformers
model keeps working (the benchmark baseline uses it); with prepacking (bfloat16) the engine keeps
only its own copies and the transformers model is released.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from bot.engine.linear import Linear


@dataclass(slots=True)
class LayerWeights:
    """One decoder layer as the packed forward pass uses it."""

    input_norm: torch.Tensor
    qkv: Linear
    out: Linear
    post_norm: torch.Tensor
    gate_up: Linear
    down: Linear


def _fuse(
    modules: Sequence[nn.Linear], *, repoint: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One weight (and bias) for several linears; with ``repoint`` the modules then view
    slices of it (so the transformers model keeps working without a second copy)."""
    weight = torch.cat([m.weight.detach() for m in modules])
    has_bias = [m.bias is not None for m in modules]
    bias = torch.cat([m.bias.detach() for m in modules]) if all(has_bias) else None
    if any(has_bias) and bias is None:
        raise ValueError("mixed biases cannot be fused")
    start = 0
    for m in modules if repoint else ():
        rows = m.weight.shape[0]
        m.weight = nn.Parameter(weight[start : start + rows], requires_grad=False)
        if bias is not None:
            m.bias = nn.Parameter(bias[start : start + rows], requires_grad=False)
        start += rows
    return weight, bias


def _bias(module: nn.Linear) -> torch.Tensor | None:
    return None if module.bias is None else module.bias.detach()


def own_tensor(tensor: torch.Tensor, *, copy: bool) -> torch.Tensor:
    # Released models must not pin their (possibly memory-mapped) storage.
    return tensor.detach().clone() if copy else tensor.detach()


_MADV_DONTNEED = 4
_libc = None
with contextlib.suppress(OSError):
    _libc = ctypes.CDLL("libc.so.6", use_errno=True)


def drop_pages(tensors: Iterable[torch.Tensor]) -> None:
    """Tell the kernel we are done with the pages under ``tensors`` (released weights).

    A model loaded from safetensors reads its weights through one memory map of the whole
    file; the pages it touches stay resident until the last tensor on that map goes, so
    prepacking copy by copy used to hold the original and the packed weights at once (+260 MB
    at the peak for the bundled model). Only for tensors that are never read again: a
    private mapping's page would read back from the file, an anonymous one as zeros.
    """
    if _libc is None:
        return
    page = mmap.PAGESIZE
    for tensor in tensors:
        start = tensor.data_ptr()
        end = start + tensor.untyped_storage().nbytes()
        first, last = -(-start // page) * page, end // page * page
        if last > first:
            _libc.madvise(ctypes.c_void_p(first), ctypes.c_size_t(last - first), _MADV_DONTNEED)


def take_layer(layer: nn.Module, *, prepack: bool, rows_hint: int) -> LayerWeights:
    """One decoder layer's weights, with q/k/v and gate/up fused; with ``prepack`` the
    layer's own tensors are released at once (so the peak holds one layer twice, not all)."""
    attn, mlp = layer.self_attn, layer.mlp

    def linear(weight: torch.Tensor, bias: torch.Tensor | None) -> Linear:
        return Linear(weight, bias, prepack=prepack, rows_hint=rows_hint)

    qkv = _fuse([attn.q_proj, attn.k_proj, attn.v_proj], repoint=not prepack)
    gate_up = _fuse([mlp.gate_proj, mlp.up_proj], repoint=not prepack)
    weights = LayerWeights(
        input_norm=own_tensor(layer.input_layernorm.weight, copy=prepack),
        qkv=linear(*qkv),
        out=linear(attn.o_proj.weight.detach(), _bias(attn.o_proj)),
        post_norm=own_tensor(layer.post_attention_layernorm.weight, copy=prepack),
        gate_up=linear(*gate_up),
        down=linear(mlp.down_proj.weight.detach(), _bias(mlp.down_proj)),
    )
    if all(linear.packed for linear in (weights.qkv, weights.out, weights.gate_up, weights.down)):
        release(layer)  # nothing of the layer's own is referenced any more
    return weights


def release(module: nn.Module) -> None:
    """Drop ``module``'s weights (pages and tensors): the engine holds its own copies."""
    drop_pages(t.detach() for t in [*module.parameters(), *module.buffers()] if t.is_cpu)
    module.to("meta")
