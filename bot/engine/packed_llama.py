"""PackedLlama: the forward pass of a Llama-family model over one scheduler step.

A step packs the next token of every decoding row together with chunks of prompts being
prefilled into one ``[tokens, hidden]`` matrix, so each weight matrix is read once per step for
everyone (batch-1 decoding on CPU is bound by reading the weights). Attention is the only part
that is per request: decode rows attend over the first rows of ``BatchKV`` with a length mask
(two batched matmuls and a float32 softmax: contiguous, so about twice as fast here as SDPA over
a strided slice), prefill chunks attend causally over their own ``PromptKV`` (SDPA).

The weights are those of the loaded transformers model, taken over layer by layer in
``llama_layers`` (q/k/v and gate/up fused). The maths follows ``modeling_llama`` op for op;
tests compare against ``model.generate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers import PreTrainedModel

from bot.engine.cpu import WeightFormat, kv_cache_dtype
from bot.engine.kv_cache import BatchKV, PromptKV
from bot.engine.linear import make_linear
from bot.engine.llama_layers import makes_copies, own_tensor, release, take_layer
from bot.engine.memory import drop_pages, is_file_backed

SUPPORTED_MODEL_TYPES = frozenset({"llama", "mistral", "qwen2"})


@dataclass(slots=True)
class PrefillChunk:
    """``token_ids`` of one prompt, starting at position ``start``, written into ``prompt``."""

    prompt: PromptKV
    token_ids: Sequence[int]
    start: int
    wants_logits: bool


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


@dataclass(slots=True)
class _DecodeRows:
    """Where this step's decode rows write and what they see in the batch KV."""

    index: torch.Tensor
    positions: torch.Tensor
    bias: torch.Tensor  # additive: -inf past each row's length
    span: int  # positions attention reads (see ``_decode_rows``)


class PackedLlama:
    """Runs packed steps of a transformers Llama/Mistral/Qwen2 causal LM (no grad, CPU)."""

    def __init__(
        self, model: PreTrainedModel, *, rows_hint: int = 16, weights: WeightFormat | None = None
    ) -> None:
        """Take over ``model``'s weights in the ``weights`` format (default: the model's
        dtype). Where the linears hold their own copies (prepacked bfloat16, float16, int8)
        the transformers model's own tensors are released (it is left on the ``meta`` device):
        the engine owns the model from then on."""
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
        fmt = weights or ("bfloat16" if self.dtype == torch.bfloat16 else "float32")
        if fmt == "bfloat16" and self.dtype != torch.bfloat16:
            raise ValueError("bfloat16 weights need the model loaded in bfloat16")
        self.weights: WeightFormat = fmt
        self.kv_dtype = kv_cache_dtype(fmt) if fmt != "float32" else self.dtype
        copies = makes_copies(fmt, self.dtype)
        self.final_norm = own_tensor(inner.norm.weight, copy=copies)
        head = model.get_output_embeddings().weight.detach()
        self.lm_head = make_linear(head, None, fmt, rows_hint=rows_hint)
        self.vocab_size = self.lm_head.out_features
        self.embed = self._take_embedding(model)
        self.act = inner.layers[0].mlp.act_fn
        self.intermediate = inner.layers[0].mlp.gate_proj.weight.shape[0]
        self.layers = [take_layer(layer, fmt=fmt, rows_hint=rows_hint) for layer in inner.layers]
        self.released_model = copies
        with torch.no_grad():
            positions = torch.arange(self.max_positions)[None, :]
            probe = torch.zeros(1, dtype=self.dtype)
            cos, sin = inner.rotary_emb(probe, positions)
        self.cos = cos[0].to(self.dtype).contiguous()
        self.sin = sin[0].to(self.dtype).contiguous()
        if self.released_model:
            model.to("meta")

    def _take_embedding(self, model: PreTrainedModel) -> torch.Tensor:
        """The input embedding, never copied: a lookup reads only its customers' rows.

        Once the output head holds its own copy, the transformers modules are released but the
        embedding tensor is kept as it is. Loaded from safetensors it is a map of the file,
        so only the rows (pages) of tokens actually seen become resident; for SmolLM2 (tied
        embeddings, 49152 x 576) that is ~57 MB less than keeping a copy beside the packed
        head. Anonymous memory (a fresh GGUF conversion) is simply kept: one copy either way.
        """
        embed = model.get_input_embeddings().weight.detach()
        if self.lm_head.owns_copy:
            release(model.get_output_embeddings(), keep=embed)
            release(model.get_input_embeddings(), keep=embed)
            if is_file_backed(embed):
                drop_pages([embed])  # packing the tied head read every page: let them go
        return embed

    @property
    def kernel(self) -> str:
        """The kernel path the linear layers run (as the reports name it)."""
        return self.layers[0].qkv.kind

    def new_prompt_kv(self, length: int) -> PromptKV:
        shape = (self.layers_count, self.kv_heads, length, self.head_dim)
        return PromptKV.empty(*shape, self.kv_dtype)

    def new_batch_kv(self, max_rows: int) -> BatchKV:
        return BatchKV(self.layers_count, max_rows, self.kv_heads, self.head_dim, self.kv_dtype)

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
        pos = torch.tensor(positions)
        rope = (self.cos[pos][:, None, :], self.sin[pos][:, None, :])
        hidden = F.embedding(torch.tensor(ids), self.embed)
        decode = self._decode_rows(batch, pos[:rows]) if rows else None
        # Additive masks, built once per step (a boolean one is converted in every layer).
        masks = [self._chunk_mask(chunk) for chunk in chunks]
        for index, layer in enumerate(self.layers):
            x = self._norm(hidden, layer.input_norm)
            attended = self._attention(index, layer.qkv(x), rope, batch, decode, chunks, masks)
            hidden = hidden + layer.out(attended.view(len(ids), self.q_size))
            x = self._norm(hidden, layer.post_norm)
            gate_up = layer.gate_up(x)
            gated = self.act(gate_up[:, : self.intermediate]) * gate_up[:, self.intermediate :]
            hidden = hidden + layer.down(gated)
        return self._advance(batch, rows, chunks, hidden)

    def _decode_rows(self, batch: BatchKV, row_pos: torch.Tensor) -> _DecodeRows:
        """Where the rows write and what they see. A float32 cache is read over its whole
        capacity (a contiguous slice is faster than a strided one); a float16 cache is copied
        to float32 anyway, so only up to the longest row (up to 16% less to copy here)."""
        rows = len(row_pos)
        batch.fit(max(batch.lengths) + 1)
        span = batch.capacity if self.kv_dtype == self.dtype else int(row_pos.max()) + 1
        visible = torch.arange(span)[None, :] <= row_pos[:, None]
        bias = torch.zeros(rows, 1, 1, span)
        bias.masked_fill_(~visible[:, None, None, :], float("-inf"))
        return _DecodeRows(torch.arange(rows), row_pos, bias, span)

    def _chunk_mask(self, chunk: PrefillChunk) -> torch.Tensor:
        size, end = len(chunk.token_ids), chunk.start + len(chunk.token_ids)
        query_pos = torch.arange(chunk.start, end)
        hidden_keys = torch.arange(end)[None, :] > query_pos[:, None]
        bias = torch.zeros(size, end, dtype=self.dtype).masked_fill_(hidden_keys, float("-inf"))
        return bias.repeat(self.groups, 1)

    def _attention(
        self,
        index: int,
        qkv: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor],
        batch: BatchKV,
        decode: _DecodeRows | None,
        chunks: Sequence[PrefillChunk],
        masks: Sequence[torch.Tensor],
    ) -> torch.Tensor:
        """Layer ``index``'s attention output ``[tokens, heads, head_dim]``; writes the step's
        keys and values into the batch KV (decode rows) and the prompt KVs (chunks)."""
        total, heads, kv_heads, head_dim = qkv.shape[0], self.heads, self.kv_heads, self.head_dim
        cos, sin = rope
        qk = qkv[:, : self.q_size + self.kv_size].view(total, heads + kv_heads, head_dim)
        qk = qk * cos + _rotate_half(qk) * sin  # one rotary pass for queries and keys
        q, k = qk[:, :heads], qk[:, heads:]
        v = qkv[:, self.q_size + self.kv_size :].view(total, kv_heads, head_dim)
        attended = torch.empty_like(q)
        offset = 0
        if decode is not None:
            offset = len(decode.index)
            attended[:offset] = self._attend_rows(index, batch, decode, q, k, v)
        for chunk, mask in zip(chunks, masks, strict=True):
            size = len(chunk.token_ids)
            part = slice(offset, offset + size)
            attended[part] = self._attend_chunk(index, chunk, mask, q[part], k[part], v[part])
            offset += size
        return attended

    def _attend_rows(
        self,
        index: int,
        batch: BatchKV,
        decode: _DecodeRows,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
    ) -> torch.Tensor:
        rows = len(decode.index)
        keys, values = batch.keys[index], batch.values[index]
        keys[decode.index, :, decode.positions] = k[:rows].to(self.kv_dtype)
        values[decode.index, :, decode.positions] = v[:rows].to(self.kv_dtype)
        # Grouped-query trick: the query heads sharing a KV head are that head's
        # "query positions", so no KV head is repeated.
        query = q[:rows].view(rows, self.kv_heads, self.groups, self.head_dim)
        span = decode.span
        scores = torch.matmul(query, keys[:rows, :, :span].to(self.dtype).transpose(-1, -2))
        scores = scores.float().mul_(self.scale).add_(decode.bias)
        probs = torch.softmax(scores, dim=-1).to(self.dtype)
        return torch.matmul(probs, values[:rows, :, :span].to(self.dtype)).view(
            rows, self.heads, self.head_dim
        )

    def _attend_chunk(
        self,
        index: int,
        chunk: PrefillChunk,
        mask: torch.Tensor,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
    ) -> torch.Tensor:
        kv_heads, groups, head_dim = self.kv_heads, self.groups, self.head_dim
        size = len(chunk.token_ids)
        end = chunk.start + size
        keys, values = chunk.prompt.keys[index], chunk.prompt.values[index]
        keys[:, chunk.start : end] = k.transpose(0, 1)
        values[:, chunk.start : end] = v.transpose(0, 1)
        query = q.view(size, kv_heads, groups, head_dim)
        query = query.permute(1, 2, 0, 3).reshape(1, kv_heads, groups * size, head_dim)
        # Read back from the cache (float16 there for float activations), as a decode step
        # and a reused prefix block see them: the same keys whatever computed them.
        seen_keys = keys[None, :, :end].to(self.dtype)
        seen_values = values[None, :, :end].to(self.dtype)
        out = F.scaled_dot_product_attention(query, seen_keys, seen_values, attn_mask=mask)
        out = out.view(kv_heads, groups, size, head_dim).permute(2, 0, 1, 3)
        return out.reshape(size, self.heads, head_dim)

    def _advance(
        self, batch: BatchKV, rows: int, chunks: Sequence[PrefillChunk], hidden: torch.Tensor
    ) -> torch.Tensor:
        """Move the KV lengths past this step; logits of the positions that want them."""
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
