"""The weight format chosen per CPU, and the float16 / int8 linears it runs, on the tiny model.

The AVX2 case is tested for real in a child process with ``ATEN_CPU_CAPABILITY=avx2`` (how
torch itself is told to dispatch its AVX2 kernels), whatever CPU runs the suite.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from bot.config import load_settings
from bot.engine.cpu import (
    CpuInfo,
    choose_format,
    cpu_info,
    fbgemm_available,
    host_report,
    load_dtype,
)
from bot.engine.linear import Float16Linear, make_linear
from bot.engine.local import LocalEngine
from bot.engine.packed_llama import PackedLlama, PrefillChunk
from bot.observability.health import engine_check
from tests.engine.tiny_model import chat

needs_fbgemm = pytest.mark.skipif(not fbgemm_available(), reason="no fbgemm in this build")
AVX2 = CpuInfo(capability="AVX2", native_bf16=False, machine="x86_64")
BF16 = CpuInfo(capability="AVX512", native_bf16=True, machine="x86_64")
QUESTIONS = ["Where is my order?", "How do I return shoes?"]


def test_auto_picks_bfloat16_only_where_it_is_native() -> None:
    assert choose_format("auto", BF16) == "bfloat16"
    assert choose_format("auto", AVX2) == ("float16" if fbgemm_available() else "float32")
    assert choose_format("float32", BF16) == "float32"  # an explicit choice is kept
    assert load_dtype("int8") is torch.float32 and load_dtype("bfloat16") is torch.bfloat16
    with pytest.raises(ValueError, match="unknown weight format"):
        choose_format("int4")


def test_forcing_avx2_hides_bfloat16_from_the_choice() -> None:
    code = (
        "import json; from bot.engine.cpu import cpu_info, choose_format; i = cpu_info(); "
        "print(json.dumps([i.capability, i.native_bf16, choose_format('auto')]))"
    )
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "avx2"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    capability, native, chosen = json.loads(out.stdout.strip().splitlines()[-1])
    if cpu_info().capability not in ("AVX2", "AVX512"):
        pytest.skip("not an x86 CPU with AVX2")
    assert capability == "AVX2"
    assert native is False
    assert chosen == ("float16" if fbgemm_available() else "float32")


@needs_fbgemm
@pytest.mark.parametrize(("fmt", "tolerance"), [("float16", 2e-3), ("int8", 2e-2)])
def test_narrow_linears_stay_close_to_float32(fmt: str, tolerance: float) -> None:
    torch.manual_seed(0)
    weight, bias = torch.randn(96, 64) * 0.1, torch.randn(96)
    x = torch.randn(7, 64)
    x[0] *= 300  # one outlier token must not cost the other rows their precision
    expected = F.linear(x, weight, bias)
    got = make_linear(weight, bias, fmt, rows_hint=16)(x)  # type: ignore[arg-type]
    relative = (got - expected).norm(dim=1) / expected.norm(dim=1)
    assert float(relative.max()) < tolerance


@needs_fbgemm
def test_float16_keeps_columns_past_fbgemms_blocks_beside_it() -> None:
    """A 576-wide weight: 512 columns packed, 64 as float32, the output of a whole packing."""
    torch.manual_seed(0)
    weight, bias, x = torch.randn(40, 576) * 0.1, torch.randn(40), torch.randn(5, 576)
    split = Float16Linear(weight, bias)
    assert split.tail is not None and tuple(split.tail.shape) == (64, 40)
    whole = torch.ops.quantized.linear_prepack_fp16(weight, bias)
    expected = torch.ops.quantized.linear_dynamic_fp16(x, whole)
    assert torch.allclose(split(x), expected, atol=1e-5)
    assert Float16Linear(weight[:, :300], None).tail is None  # under one block: packed whole


@needs_fbgemm
@pytest.mark.parametrize("fmt", ["float16", "int8"])
async def test_engine_in_a_narrow_format_releases_the_float_weights(tiny_parts, fmt: str) -> None:
    model, tokenizer = tiny_parts
    narrow_model = copy.deepcopy(model)
    engine = LocalEngine(narrow_model, tokenizer, weights=fmt)  # type: ignore[arg-type]
    assert engine.worker.runner.released_model
    assert next(narrow_model.parameters()).device.type == "meta"  # no float32 copy kept
    assert engine.runs["weights"] == fmt and engine.runs["kernel"].startswith("fbgemm")
    engine.start()
    texts = [(await engine.generate(chat(q, max_new_tokens=8))).text for q in QUESTIONS[:2]]
    await engine.close()
    assert all(isinstance(t, str) for t in texts)


@needs_fbgemm
def test_float16_logits_match_float32_on_the_tiny_model(tiny_parts) -> None:
    model, tokenizer = tiny_parts
    reference = PackedLlama(copy.deepcopy(model))
    narrow = PackedLlama(copy.deepcopy(model), weights="float16")
    ids = tokenizer("Where is my order? It was sent last week.")["input_ids"]
    with torch.inference_mode():
        logits = [
            runner.step(runner.new_batch_kv(1), [], [PrefillChunk(kv, ids, 0, True)])
            for runner in (reference, narrow)
            for kv in [runner.new_prompt_kv(len(ids))]
        ]
    assert torch.allclose(logits[0], logits[1], atol=5e-2)  # float16 weights: ~1e-2 here
    assert int(logits[0].argmax()) == int(logits[1].argmax())
    # the narrow format keeps its keys/values in float16 (half of float32's bytes)
    assert narrow.new_prompt_kv(len(ids)).data.dtype == torch.float16
    assert reference.new_prompt_kv(len(ids)).data.dtype == torch.float32


@needs_fbgemm
def test_float16_kv_decode_matches_a_fresh_prefill(tiny_parts) -> None:
    """A decode step over the float16 batch cache sees what a prefill of the same tokens
    computes (keys are rounded the same way wherever they come from)."""
    model, tokenizer = tiny_parts
    runner = PackedLlama(copy.deepcopy(model), weights="float16")
    ids = tokenizer("Where is my order? It was sent last week.")["input_ids"]
    with torch.inference_mode():
        batch, kv = runner.new_batch_kv(2), runner.new_prompt_kv(len(ids) - 1)
        runner.step(batch, [], [PrefillChunk(kv, ids[:-1], 0, True)])
        batch.add_row(kv, reserve=len(ids) + 1)
        decoded = runner.step(batch, [ids[-1]], [])[0]
        whole = runner.new_prompt_kv(len(ids))
        prefilled = runner.step(runner.new_batch_kv(1), [], [PrefillChunk(whole, ids, 0, True)])[0]
    assert batch.keys[0].dtype == torch.float16
    assert torch.allclose(decoded, prefilled, atol=1e-3)


def test_host_report_names_capability_weights_and_kernel() -> None:
    report = host_report("float16")
    assert report["cpu_capability"] == cpu_info().capability
    assert (report["weights"], report["kernel"]) == ("float16", "fbgemm-fp16-weights")
    assert report["activations"] == "float32"
    assert report["kv_cache"] == "float16"
    assert host_report("float32")["kv_cache"] == "float32"


async def test_readiness_says_what_the_local_engine_runs(tiny_engine: LocalEngine) -> None:
    check = await engine_check(load_settings(), tiny_engine)
    runs = tiny_engine.runs
    assert check.ok
    assert f"{runs['cpu_capability']}, float32 weights, f.linear" in check.detail
