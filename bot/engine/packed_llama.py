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
    qkv: torch.Tensor
    qkv_bias: torch.Tensor | None
    out: torch.Tensor
    out_bias: torch.Tensor | None
    post_norm: torch.Tensor
    gate_up: torch.Tensor
    gate_up_bias: torch.Tensor | None
    down: torch.Tensor
    down_bias: torch.Tensor | None


def _fuse(modules: Sequence[nn.Linear]) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One weight (and bias) for several linears; the modules then view slices of it."""
    weight = torch.cat([m.weight.detach() for m in modules])
    has_bias = [m.bias is not None for m in modules]
    bias = torch.cat([m.bias.detach() for m in modules]) if all(has_bias) else None
    if any(has_bias) and bias is None:
        raise ValueError("mixed biases cannot be fused")
    start = 0
    for m in modules:
        rows = m.weight.shape[0]
        m.weight = nn.Parameter(weight[start : start + rows], requires_grad=False)
        if bias is not None:
            m.bias = nn.Parameter(bias[start : start + rows], requires_grad=False)
        start += rows
    return weight, bias


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class PackedLlama:
    """Runs packed steps of a transformers Llama/Mistral/Qwen2 causal LM (no grad, CPU)."""

    def __init__(self, model: PreTrainedModel) -> None:
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
        self.embed = inner.embed_tokens.weight.detach()
        self.final_norm = inner.norm.weight.detach()
        self.lm_head = model.get_output_embeddings().weight.detach()
        self.act = inner.layers[0].mlp.act_fn
        self.intermediate = inner.layers[0].mlp.gate_proj.weight.shape[0]
        self.layers: list[_Layer] = []
        for layer in inner.layers:
            attn, mlp = layer.self_attn, layer.mlp
            qkv, qkv_bias = _fuse([attn.q_proj, attn.k_proj, attn.v_proj])
            gate_up, gate_up_bias = _fuse([mlp.gate_proj, mlp.up_proj])
            self.layers.append(
                _Layer(
                    input_norm=layer.input_layernorm.weight.detach(),
                    qkv=qkv,
                    qkv_bias=qkv_bias,
                    out=attn.o_proj.weight.detach(),
                    out_bias=None if attn.o_proj.bias is None else attn.o_proj.bias.detach(),
                    post_norm=layer.post_attention_layernorm.weight.detach(),
                    gate_up=gate_up,
                    gate_up_bias=gate_up_bias,
                    down=mlp.down_proj.weight.detach(),
                    down_bias=None if mlp.down_proj.bias is None else mlp.down_proj.bias.detach(),
                )
            )
        with torch.no_grad():
            positions = torch.arange(self.max_positions)[None, :]
            probe = torch.zeros(1, dtype=self.dtype)
            cos, sin = inner.rotary_emb(probe, positions)
        self.cos = cos[0].to(self.dtype).contiguous()
        self.sin = sin[0].to(self.dtype).contiguous()

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
            qkv = F.linear(x, layer.qkv, layer.qkv_bias)
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
            hidden = hidden + F.linear(
                attended.view(total, heads * head_dim), layer.out, layer.out_bias
            )
            x = self._norm(hidden, layer.post_norm)
            gate_up = F.linear(x, layer.gate_up, layer.gate_up_bias)
            gated = self.act(gate_up[:, : self.intermediate]) * gate_up[:, self.intermediate :]
            hidden = hidden + F.linear(gated, layer.down, layer.down_bias)

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
            return torch.empty(0, self.lm_head.shape[0])
        last = self._norm(hidden[picks], self.final_norm)
        return F.linear(last, self.lm_head).float()
