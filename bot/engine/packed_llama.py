"""PackedLlama: the forward pass of a Llama-family model over one scheduler step.

A step packs the next token of every decoding row together with chunks of prompts being
prefilled into one ``[tokens, hidden]`` matrix, so each weight matrix is read once per step for
everyone (batch-1 decoding on CPU is bound by reading the weights). Attention is the only part
that is per request: decode rows attend over the first rows of ``BatchKV`` with a length mask
(two batched matmuls and a float32 softmax: contiguous, so about twice as fast here as SDPA over
a strided slice), prefill chunks attend causally over their own ``PromptKV`` (SDPA).

The weights are those of the loaded transformers model: q/k/v and gate/up are fused into one
matrix each, and the original modules are re-pointed at slices of the fused matrices, so no
second copy is kept and the transformers model keeps working (the benchmark baseline uses it).
The maths follows ``modeling_llama`` op for op; tests compare against ``model.generate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel

from bot.engine.kv_cache import BatchKV, PromptKV
from bot.engine.linear import Linear, can_prepack

SUPPORTED_MODEL_TYPES = frozenset({"llama", "mistral", "qwen2"})


@dataclass(slots=True)
class PrefillChunk:
    """``token_ids`` of one prompt, starting at position ``start``, written into ``prompt``."""

    prompt: PromptKV
    token_ids: Sequence[int]
    start: int
    wants_logits: bool


@dataclass(slots=True)
class _Layer:
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


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class PackedLlama:
    """Runs packed steps of a transformers Llama/Mistral/Qwen2 causal LM (no grad, CPU)."""

    def __init__(self, model: PreTrainedModel, *, rows_hint: int = 16) -> None:
        """Take over ``model``'s weights. In bfloat16 (where oneDNN prepacking applies) the
        engine keeps only prepacked copies and releases the transformers model's own tensors
        (it is left on the ``meta`` device): the engine owns the model from then on."""
        config = model.config
        if config.model_type not in SUPPORTED_MODEL_TYPES:
            raise ValueError(
                f"model type {config.model_type!r} is not supported by the batching engine "
                f"(supported: {', '.join(sorted(SUPPORTED_MODEL_TYPES))})"
            )
        inner = model.model
        self.dtype = model.dtype
        self.heads = config.num_attention_heads
        self.kv_heads = config.num_key_value_heads
        self.groups = self.heads // self.kv_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.heads
        self.layers_count = config.num_hidden_layers
        self.max_positions = config.max_position_embeddings
        self.scale = self.head_dim**-0.5
        self.q_size = self.heads * self.head_dim
        self.kv_size = self.kv_heads * self.head_dim
        self.eps = config.rms_norm_eps
        prepack = can_prepack(self.dtype)

        def own(tensor: torch.Tensor) -> torch.Tensor:
            # Released models must not pin their (possibly memory-mapped) storage.
            return tensor.detach().clone() if prepack else tensor.detach()

        def linear(weight: torch.Tensor, bias: torch.Tensor | None) -> Linear:
            return Linear(weight, bias, prepack=prepack, rows_hint=rows_hint)

        self.embed = own(inner.embed_tokens.weight)
        self.final_norm = own(inner.norm.weight)
        self.lm_head = linear(model.get_output_embeddings().weight.detach(), None)
        self.vocab_size = self.lm_head.out_features
        self.act = inner.layers[0].mlp.act_fn
        self.intermediate = inner.layers[0].mlp.gate_proj.weight.shape[0]
        self.layers: list[_Layer] = []
        for layer in inner.layers:
            attn, mlp = layer.self_attn, layer.mlp
            qkv = _fuse([attn.q_proj, attn.k_proj, attn.v_proj], repoint=not prepack)
            gate_up = _fuse([mlp.gate_proj, mlp.up_proj], repoint=not prepack)
            self.layers.append(
                _Layer(
                    input_norm=own(layer.input_layernorm.weight),
                    qkv=linear(*qkv),
                    out=linear(attn.o_proj.weight.detach(), _bias(attn.o_proj)),
                    post_norm=own(layer.post_attention_layernorm.weight),
                    gate_up=linear(*gate_up),
                    down=linear(mlp.down_proj.weight.detach(), _bias(mlp.down_proj)),
                )
            )
        self.released_model = prepack
        with torch.no_grad():
            positions = torch.arange(self.max_positions)[None, :]
            probe = torch.zeros(1, dtype=self.dtype)
            cos, sin = inner.rotary_emb(probe, positions)
        self.cos = cos[0].to(self.dtype).contiguous()
        self.sin = sin[0].to(self.dtype).contiguous()
        if self.released_model:
            model.to("meta")

    def new_prompt_kv(self, length: int) -> PromptKV:
        return PromptKV.empty(self.layers_count, self.kv_heads, length, self.head_dim, self.dtype)

    def new_batch_kv(self, max_rows: int) -> BatchKV:
        return BatchKV(self.layers_count, max_rows, self.kv_heads, self.head_dim, self.dtype)

    def _norm(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        x32 = x.to(torch.float32)
        variance = x32.pow(2).mean(-1, keepdim=True)
        return weight * (x32 * torch.rsqrt(variance + self.eps)).to(x.dtype)

    def step(
        self, batch: BatchKV, decode_tokens: Sequence[int], chunks: Sequence[PrefillChunk]
    ) -> torch.Tensor:
        """Run one step; return float32 logits for every decode row, then each chunk that
        ``wants_logits`` (its last position), in that order. Advances the KV lengths.
        ``decode_tokens`` is either one token per batch row or empty (prefill only)."""
        rows = len(decode_tokens)
        if rows not in (0, batch.rows):
            raise ValueError("one decode token per batch row (or none: a prefill-only step)")
        ids = list(decode_tokens)
        positions = list(batch.lengths) if rows else []
        for chunk in chunks:
            ids.extend(chunk.token_ids)
            positions.extend(range(chunk.start, chunk.start + len(chunk.token_ids)))
        if max(positions) >= self.max_positions:
            raise ValueError("sequence longer than the model's context window")
        total = len(ids)
        pos = torch.tensor(positions)
        cos = self.cos[pos][:, None, :]
        sin = self.sin[pos][:, None, :]
        hidden = F.embedding(torch.tensor(ids), self.embed)

        if rows:
            batch.fit(max(batch.lengths) + 1)
            row_index = torch.arange(rows)
            row_pos = pos[:rows]
            visible = torch.arange(batch.capacity)[None, :] <= row_pos[:, None]
            decode_bias = torch.zeros(rows, 1, 1, batch.capacity)
            decode_bias.masked_fill_(~visible[:, None, None, :], float("-inf"))
        chunk_masks = []
        for chunk in chunks:
            size, end = len(chunk.token_ids), chunk.start + len(chunk.token_ids)
            query_pos = torch.arange(chunk.start, end)
            hidden_keys = torch.arange(end)[None, :] > query_pos[:, None]
            # Additive mask, built once per step (a boolean one is converted in every layer).
            bias = torch.zeros(size, end, dtype=self.dtype).masked_fill_(hidden_keys, float("-inf"))
            chunk_masks.append(bias.repeat(self.groups, 1))

        heads, kv_heads, groups, head_dim = self.heads, self.kv_heads, self.groups, self.head_dim
        for index, layer in enumerate(self.layers):
            x = self._norm(hidden, layer.input_norm)
            qkv = layer.qkv(x)
            qk = qkv[:, : self.q_size + self.kv_size].view(total, heads + kv_heads, head_dim)
            qk = qk * cos + _rotate_half(qk) * sin  # one rotary pass for queries and keys
            q, k = qk[:, :heads], qk[:, heads:]
            v = qkv[:, self.q_size + self.kv_size :].view(total, kv_heads, head_dim)
            attended = torch.empty_like(q)
            if rows:
                keys, values = batch.keys[index], batch.values[index]
                keys[row_index, :, row_pos] = k[:rows]
                values[row_index, :, row_pos] = v[:rows]
                # Grouped-query trick: the query heads sharing a KV head are that head's
                # "query positions", so no KV head is repeated.
                query = q[:rows].view(rows, kv_heads, groups, head_dim)
                scores = torch.matmul(query, keys[:rows].transpose(-1, -2))
                scores = scores.float().mul_(self.scale).add_(decode_bias)
                probs = torch.softmax(scores, dim=-1).to(self.dtype)
                attended[:rows] = torch.matmul(probs, values[:rows]).view(rows, heads, head_dim)
            offset = rows
            for chunk, mask in zip(chunks, chunk_masks, strict=True):
                size = len(chunk.token_ids)
                end = chunk.start + size
                keys, values = chunk.prompt.keys[index], chunk.prompt.values[index]
                keys[:, chunk.start : end] = k[offset : offset + size].transpose(0, 1)
                values[:, chunk.start : end] = v[offset : offset + size].transpose(0, 1)
                query = q[offset : offset + size].view(size, kv_heads, groups, head_dim)
                query = query.permute(1, 2, 0, 3).reshape(1, kv_heads, groups * size, head_dim)
                out = F.scaled_dot_product_attention(
                    query, keys[None, :, :end], values[None, :, :end], attn_mask=mask
                )
                out = out.view(kv_heads, groups, size, head_dim).permute(2, 0, 1, 3)
                attended[offset : offset + size] = out.reshape(size, heads, head_dim)
                offset += size
            hidden = hidden + layer.out(attended.view(total, heads * head_dim))
            x = self._norm(hidden, layer.post_norm)
            gate_up = layer.gate_up(x)
            gated = self.act(gate_up[:, : self.intermediate]) * gate_up[:, self.intermediate :]
            hidden = hidden + layer.down(gated)

        for row in range(rows):
            batch.lengths[row] += 1
        picks = list(range(rows))
        offset = rows
        for chunk in chunks:
            offset += len(chunk.token_ids)
            chunk.prompt.filled = chunk.start + len(chunk.token_ids)
            if chunk.wants_logits:
                picks.append(offset - 1)
        if not picks:
            return torch.empty(0, self.vocab_size)
        last = self._norm(hidden[picks], self.final_norm)
        return self.lm_head(last).float()
