"""One decoder layer of a transformers Llama/Mistral/Qwen2 model, taken over by ``PackedLlama``.

q/k/v and gate/up are fused into one matrix each. Without prepacking, the original modules are
re-pointed at slices of the fused matrices, so no second copy is kept and the transformers
model keeps working (the benchmark baseline uses it); in the formats whose linears hold their own
copy (prepacked bfloat16, float16, int8: see ``linear``) the engine keeps only those and the
transformers model's tensors are released layer by layer, so no float32 copy stays beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from bot.engine import linear as kernels
from bot.engine.cpu import WeightFormat, fbgemm_available
from bot.engine.linear import Linear, make_linear
from bot.engine.memory import drop_pages


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


def makes_copies(fmt: WeightFormat, dtype: torch.dtype) -> bool:
    """Whether ``fmt``'s linears hold their own weights (the model's can then be released)."""
    if fmt in ("float16", "int8"):
        return fbgemm_available()
    return fmt == "bfloat16" and kernels.can_prepack(dtype)


def take_layer(layer: nn.Module, *, fmt: WeightFormat, rows_hint: int) -> LayerWeights:
    """One decoder layer's weights, with q/k/v and gate/up fused; when the linears hold their
    own copies the layer's tensors are released at once (so the peak holds one layer twice,
    not all of them)."""
    attn, mlp = layer.self_attn, layer.mlp
    copies = makes_copies(fmt, attn.o_proj.weight.dtype)

    def linear(weight: torch.Tensor, bias: torch.Tensor | None) -> Linear:
        return make_linear(weight, bias, fmt, rows_hint=rows_hint)

    qkv = _fuse([attn.q_proj, attn.k_proj, attn.v_proj], repoint=not copies)
    gate_up = _fuse([mlp.gate_proj, mlp.up_proj], repoint=not copies)
    weights = LayerWeights(
        input_norm=own_tensor(layer.input_layernorm.weight, copy=copies),
        qkv=linear(*qkv),
        out=linear(attn.o_proj.weight.detach(), _bias(attn.o_proj)),
        post_norm=own_tensor(layer.post_attention_layernorm.weight, copy=copies),
        gate_up=linear(*gate_up),
        down=linear(mlp.down_proj.weight.detach(), _bias(mlp.down_proj)),
    )
    del qkv, gate_up  # the fused float copies, when the linears made their own
    linears = (weights.qkv, weights.out, weights.gate_up, weights.down)
    if all(linear.owns_copy for linear in linears):
        release(layer)  # nothing of the layer's own is referenced any more
    return weights


def release(module: nn.Module, keep: torch.Tensor | None = None) -> None:
    """Drop ``module``'s weights (pages and tensors): the engine holds its own copies, or
    ``keep`` itself (a tensor the engine goes on reading: its pages are left alone)."""
    kept = keep.untyped_storage().data_ptr() if keep is not None else None
    tensors = [*module.parameters(), *module.buffers()]
    drop_pages(t.detach() for t in tensors if t.is_cpu and t.untyped_storage().data_ptr() != kept)
    module.to("meta")
