"""LocalEngine on a tiny random Llama (float32): batching must not change greedy output, and
streaming, deadlines, cancellation, the queue bound, stop strings and prefix caching work."""

from __future__ import annotations

import asyncio
import copy

import pytest
import torch
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

from bot.engine.base import EngineBusy, EngineUnavailable, Generation, GenerationRequest
from bot.engine.local import LocalEngine
from tests.engine.tiny_model import chat

QUESTIONS = [
    "Where is my order?",
    "Can I return shoes that do not fit? I bought them last week and never wore them outside.",
    "Do you ship to Canada?",
    "hi",
    "My parcel arrived damaged and the box was wet. The jacket inside smells. What now?",
]


def reference(
    parts: tuple[LlamaForCausalLM, PreTrainedTokenizerFast],
    engine: LocalEngine,
    request: GenerationRequest,
) -> str:
    """What transformers' own ``generate`` answers, greedy, one request alone."""
    model, tokenizer = parts
    ids = torch.tensor([engine.tokens.encode(request.messages)])
    with torch.inference_mode():
        out = model.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=request.max_new_tokens,
            min_new_tokens=request.max_new_tokens if request.ignore_eos else 0,
            repetition_penalty=request.repetition_penalty,
            do_sample=False,
        )
    return tokenizer.decode(
        out[0, ids.shape[1] :], skip_special_tokens=True, clean_up_tokenization_spaces=False
    )


async def queued(
    engine: LocalEngine, requests: list[GenerationRequest]
) -> list[asyncio.Task[Generation]]:
    """Start ``generate`` tasks and let each run up to its wait, so all are in the queue."""
    tasks = [asyncio.create_task(engine.generate(r)) for r in requests]
    await asyncio.sleep(0)  # one pass of the loop: every new task submits, then awaits
    assert len(engine.worker.queue) == len(requests)
    return tasks


def new_engine(parts, **options: object) -> LocalEngine:
    model, tokenizer = parts
    return LocalEngine(model, tokenizer, name="tiny", **options)  # type: ignore[arg-type]


async def test_answers_like_transformers_generate(tiny_parts, tiny_engine: LocalEngine) -> None:
    for question in QUESTIONS[:3]:
        request = chat(question, max_new_tokens=24)
        result = await tiny_engine.generate(request)
        assert result.text == reference(tiny_parts, tiny_engine, request)
        assert result.prompt_tokens == tiny_engine.count_tokens(request.messages)


async def test_batched_output_equals_alone(tiny_parts) -> None:
    engine = new_engine(tiny_parts, max_batch=8, prefill_chunk=1000)
    requests = [chat(q, max_new_tokens=20) for q in QUESTIONS]
    tasks = await queued(engine, requests)
    engine.start()  # all of them are admitted together: one padded batch of different lengths
    together = await asyncio.gather(*tasks)
    assert engine.stats.max_rows == len(requests)
    alone = [await engine.generate(r) for r in requests]
    await engine.close()
    assert [r.text for r in together] == [r.text for r in alone]
    assert [r.text for r in alone] == [reference(tiny_parts, engine, r) for r in requests]


async def test_requests_join_a_running_batch(tiny_parts) -> None:
    engine = new_engine(tiny_parts, max_batch=8, prefill_chunk=16)
    engine.start()
    first_piece = asyncio.Event()
    long_request = chat(QUESTIONS[0], max_new_tokens=200, ignore_eos=True)
    running = asyncio.create_task(
        engine.generate(long_request, on_text=lambda _: first_piece.set())
    )
    await first_piece.wait()
    joiners = [chat(q, max_new_tokens=16) for q in QUESTIONS[1:]]
    joined = await asyncio.gather(*(engine.generate(r) for r in joiners))
    long_result = await running
    await engine.close()
    assert engine.stats.max_rows >= 2
    assert long_result.completion_tokens == 200 and long_result.finish_reason == "length"
    assert long_result.text == reference(tiny_parts, engine, long_request)
    assert [r.text for r in joined] == [reference(tiny_parts, engine, r) for r in joiners]


async def test_chunked_prefill_and_prefix_cache_keep_the_output(tiny_parts) -> None:
    engine = new_engine(tiny_parts, prefill_chunk=7)
    engine.start()
    requests = [chat(q, max_new_tokens=12) for q in QUESTIONS[:3]]
    results = [await engine.generate(r) for r in requests]
    system_blocks = len(engine.tokens.encode(requests[0].messages[:1])) // 16
    assert engine.prefix_cache.hits == 2
    assert engine.prefix_cache.reused_tokens >= 2 * 16 * (system_blocks - 1)
    changed = chat(QUESTIONS[0], system="You are a pirate. Say arr.", max_new_tokens=12)
    reused_before = engine.prefix_cache.reused_tokens
    after_edit = await engine.generate(changed)
    # Only blocks whose tokens are identical ("<|im_start|>system\nYou are ") may be reused.
    assert engine.prefix_cache.reused_tokens - reused_before == 16
    again = await engine.generate(changed)
    assert again.text == after_edit.text
    await engine.close()
    assert [r.text for r in results] == [reference(tiny_parts, engine, r) for r in requests]
    assert after_edit.text == reference(tiny_parts, engine, changed)


async def test_streaming_pieces_add_up_to_the_text(tiny_engine: LocalEngine) -> None:
    request = chat(QUESTIONS[1], max_new_tokens=30)
    pieces: list[str] = []
    result = await tiny_engine.generate(request, on_text=pieces.append)
    assert len(pieces) > 1
    assert "".join(pieces) == result.text
    streamed = [piece async for piece in tiny_engine.stream(request)]
    assert "".join(streamed) == result.text
    assert result.time_to_first_token is not None
    assert 0 < result.time_to_first_token <= result.total_time


async def test_length_limit_and_counts(tiny_engine: LocalEngine) -> None:
    result = await tiny_engine.generate(chat(QUESTIONS[2], max_new_tokens=7, ignore_eos=True))
    assert result.finish_reason == "length"
    assert result.completion_tokens == 7
    assert result.model == "tiny"


async def test_stop_string_cuts_the_reply_and_is_never_streamed(
    tiny_engine: LocalEngine,
) -> None:
    full = await tiny_engine.generate(chat(QUESTIONS[1], max_new_tokens=40, ignore_eos=True))
    assert len(full.text) >= 16
    stop = full.text[10:14]
    expected = full.text[: full.text.find(stop)]
    pieces: list[str] = []
    request = chat(QUESTIONS[1], max_new_tokens=40, ignore_eos=True, stop=[stop])
    result = await tiny_engine.generate(request, on_text=pieces.append)
    assert result.finish_reason == "stop"
    assert result.text == expected == "".join(pieces)


async def test_repetition_penalty_matches_transformers(
    tiny_parts, tiny_engine: LocalEngine
) -> None:
    request = chat(QUESTIONS[0], max_new_tokens=24, repetition_penalty=1.5)
    plain = await tiny_engine.generate(chat(QUESTIONS[0], max_new_tokens=24))
    result = await tiny_engine.generate(request)
    assert result.text == reference(tiny_parts, tiny_engine, request)
    assert result.text != plain.text


async def test_deadline_drops_the_request_mid_generation(tiny_parts) -> None:
    now = [0.0]
    engine = new_engine(tiny_parts, clock=lambda: now[0])
    engine.start()
    pieces: list[str] = []

    def on_text(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 3:
            now[0] = 100.0  # time flies: the deadline below has passed

    request = chat(QUESTIONS[1], max_new_tokens=500, ignore_eos=True, deadline=50.0)
    result = await engine.generate(request, on_text=on_text)
    expired = await engine.generate(chat(QUESTIONS[0], deadline=99.0))
    await engine.close()
    assert result.finish_reason == "deadline"
    assert 3 <= result.completion_tokens < 500
    assert result.text == "".join(pieces)
    assert expired.finish_reason == "deadline" and expired.completion_tokens == 0


async def test_cancelling_the_caller_frees_the_slot(tiny_parts) -> None:
    engine = new_engine(tiny_parts, max_batch=1)
    engine.start()
    started = asyncio.Event()
    hog = asyncio.create_task(
        engine.generate(
            chat(QUESTIONS[0], max_new_tokens=1000, ignore_eos=True),
            on_text=lambda _: started.set(),
        )
    )
    await started.wait()
    hog.cancel()
    with pytest.raises(asyncio.CancelledError):
        await hog
    result = await engine.generate(chat(QUESTIONS[2], max_new_tokens=5, ignore_eos=True))
    await engine.close()
    assert result.completion_tokens == 5
    assert engine.stats.decode_tokens < 1000  # the only slot was given up, not run to the end


async def test_full_queue_fails_fast_and_close_cancels_waiting(tiny_parts) -> None:
    engine = new_engine(tiny_parts, max_batch=1, queue_size=2)
    waiting = await queued(engine, [chat(q) for q in QUESTIONS[:2]])
    with pytest.raises(EngineBusy):
        await engine.generate(chat(QUESTIONS[2]))
    await engine.close()
    assert [(await task).finish_reason for task in waiting] == ["cancelled", "cancelled"]
    with pytest.raises(EngineUnavailable):
        await engine.generate(chat(QUESTIONS[2]))


async def test_queue_drains_once_started(tiny_parts) -> None:
    engine = new_engine(tiny_parts, max_batch=1, queue_size=3)
    tasks = await queued(engine, [chat(q, max_new_tokens=4) for q in QUESTIONS[:3]])
    engine.start()
    results = await asyncio.gather(*tasks)
    await engine.close()
    assert all(r.finish_reason in ("stop", "length") for r in results)
    assert engine.stats.max_rows == 1


class ExplodingOnce:
    """Stands in for the model runner's ``step``: fails the first call, then delegates."""

    def __init__(self, step) -> None:
        self.step = step
        self.exploded = False

    def __call__(self, *args: object) -> torch.Tensor:
        if not self.exploded:
            self.exploded = True
            raise RuntimeError("simulated kernel failure")
        return self.step(*args)


async def test_a_failed_step_ends_its_requests_with_error_and_the_engine_recovers(
    tiny_parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = new_engine(tiny_parts)
    monkeypatch.setattr(engine.worker.runner, "step", ExplodingOnce(engine.worker.runner.step))
    engine.start()
    failed = await engine.generate(chat(QUESTIONS[0], max_new_tokens=5))
    recovered = await engine.generate(chat(QUESTIONS[0], max_new_tokens=5, ignore_eos=True))
    await engine.close()
    assert failed.finish_reason == "error"
    assert failed.error is not None and "simulated kernel failure" in failed.error
    assert recovered.finish_reason == "length" and recovered.completion_tokens == 5


@pytest.mark.parametrize("decode_pause", [60.0, 0.0])
async def test_decoding_pauses_while_prompts_are_prefilled(tiny_parts, decode_pause: float) -> None:
    engine = new_engine(tiny_parts, prefill_chunk=8, decode_pause=decode_pause)
    engine.stats.trace = []
    engine.start()
    first_piece = asyncio.Event()
    running = asyncio.create_task(
        engine.generate(
            chat(QUESTIONS[0], max_new_tokens=400, ignore_eos=True),
            on_text=lambda _: first_piece.set(),
        )
    )
    await first_piece.wait()
    joiner = chat(QUESTIONS[4], max_new_tokens=6)
    joined = await engine.generate(joiner)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    await engine.close()
    trace = engine.stats.trace
    first_prompt = engine.count_tokens(chat(QUESTIONS[0]).messages)
    prefilled = [sum(step[1] for step in trace[: i + 1]) for i in range(len(trace))]
    decoding_from = next(i for i, done in enumerate(prefilled) if done >= first_prompt) + 1
    paused = [step for step in trace[decoding_from:] if step[1] and not step[0]]
    ridden = [step for step in trace[decoding_from:] if step[1] and step[0]]
    if decode_pause:
        assert len(paused) >= 5 and len(ridden) == 1  # only the joiner's last chunk
    else:
        assert not paused and len(ridden) >= 5
    assert joined.text == reference(tiny_parts, engine, joiner)


async def test_bfloat16_prepacked_weights_answer_like_plain_ones(
    tiny_parts, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, tokenizer = tiny_parts
    packed_model = copy.deepcopy(model).to(torch.bfloat16)
    plain_model = copy.deepcopy(model).to(torch.bfloat16)
    packed = LocalEngine(packed_model, tokenizer)
    with monkeypatch.context() as patch:
        patch.setattr("bot.engine.linear.can_prepack", lambda dtype: False)
        plain = LocalEngine(plain_model, tokenizer)
    if not packed.worker.runner.released_model:
        pytest.skip("this torch build cannot prepack bfloat16 weights")
    assert next(packed_model.parameters()).device.type == "meta"  # the engine owns the weights
    assert next(plain_model.parameters()).device.type == "cpu"
    packed.start()
    plain.start()
    requests = [chat(q, max_new_tokens=16, ignore_eos=True) for q in QUESTIONS[:3]]
    packed_texts = [(await packed.generate(r)).text for r in requests]
    plain_texts = [(await plain.generate(r)).text for r in requests]
    await packed.close()
    await plain.close()
    assert packed_texts == plain_texts
