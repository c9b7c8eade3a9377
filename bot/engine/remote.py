"""RemoteEngine: generation on any OpenAI-compatible ``/v1/chat/completions`` server.

``SUPPORTBOT_MODEL=openai:<base_url>`` (vLLM, TGI, llama.cpp server, Ollama, ...) is how a
deployment moves generation to a GPU cluster. Replies are streamed (server-sent events). A
request is retried with exponential back-off on 429, 5xx and connection errors as long as no
text has reached the caller yet; 401/403/404 raise ``EngineUnavailable`` naming the setting to
fix. A stream cut off mid-way ends with finish reason ``error`` and the text received so far.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bot.config import Settings
from bot.engine.base import (
    ChatMessage,
    EngineError,
    EngineUnavailable,
    FinishReason,
    Generation,
    GenerationEngine,
    GenerationRequest,
    TextCallback,
)
from bot.engine.sse import iter_sse_data

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
FINISH_REASONS: dict[str, FinishReason] = {"stop": "stop", "length": "length"}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently failed requests are retried."""

    attempts: int = 4
    first_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return min(self.max_delay, max(0.0, float(retry_after)))
            except ValueError:
                pass
        base = min(self.max_delay, self.first_delay * 2**attempt)
        return base * (0.5 + random.random() / 2)  # jitter, so clients do not retry in step


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: str | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def base_url_of(model_setting: str) -> str:
    """``openai:http://host:8000`` -> ``http://host:8000/v1`` (``/v1`` added when missing)."""
    url = model_setting.removeprefix("openai:").strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise EngineUnavailable(
            f"SUPPORTBOT_MODEL: expected openai:http(s)://host[:port][/v1], got {model_setting!r}"
        )
    return url if url.endswith("/v1") else url + "/v1"


class RemoteEngine(GenerationEngine):
    """``GenerationEngine`` over HTTP; concurrency is the server's business (it batches)."""

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "default",
        api_key: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        retry: RetryPolicy | None = None,
        max_new_tokens: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = f"openai:{model}"
        self.model = model
        self.retry = retry or RetryPolicy()
        self.max_new_tokens = max_new_tokens
        headers = {"Accept": "text/event-stream"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteEngine:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return cls(
            base_url_of(settings.model),
            model=settings.openai_model,
            api_key=key,
            timeout=settings.generation_timeout_seconds,
            max_new_tokens=settings.max_new_tokens,
        )

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """An estimate (the server's tokenizer is not known here): ~4 characters a token."""
        return sum(len(m.content) // 4 + 4 for m in messages)

    def _payload(self, request: GenerationRequest) -> dict[str, Any]:
        cap = self.max_new_tokens or request.max_new_tokens
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": min(request.max_new_tokens, cap),
            "temperature": request.temperature,
            "top_p": request.top_p,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.stop:
            payload["stop"] = list(request.stop)[:4]  # the OpenAI API takes at most four
        if request.repetition_penalty != 1.0:
            payload["repetition_penalty"] = request.repetition_penalty  # vLLM/TGI/llama.cpp
        return payload

    async def generate(
        self, request: GenerationRequest, on_text: TextCallback | None = None
    ) -> Generation:
        started = time.monotonic()
        state = _StreamState(started)
        budget = None if request.deadline is None else request.deadline - started
        try:
            async with asyncio.timeout(budget):
                await self._generate_with_retries(request, on_text, state)
        except TimeoutError:
            state.finish = "deadline"
        return state.result(self.name, self.count_tokens(request.messages))

    async def _generate_with_retries(
        self, request: GenerationRequest, on_text: TextCallback | None, state: _StreamState
    ) -> None:
        payload = self._payload(request)
        for attempt in range(self.retry.attempts):
            try:
                await self._stream_once(payload, on_text, state)
                return
            except _Retry as exc:
                if state.text or attempt + 1 == self.retry.attempts:
                    state.fail(f"remote engine: {exc}")
                    return
                delay = self.retry.delay(attempt, exc.retry_after)
                log.warning("remote engine: %s; retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)

    async def _stream_once(
        self, payload: dict[str, Any], on_text: TextCallback | None, state: _StreamState
    ) -> None:
        try:
            async with self._client.stream("POST", "/chat/completions", json=payload) as response:
                await _check_status(response)
                async for data in iter_sse_data(response.aiter_lines()):
                    if data == "[DONE]":
                        state.done = True
                        break
                    state.take(json.loads(data), on_text)
        except (httpx.TransportError, json.JSONDecodeError) as exc:
            if not state.text:
                raise _Retry(f"{type(exc).__name__}: {exc}") from exc
            state.fail(f"stream cut off: {type(exc).__name__}")
            return
        if not state.done and state.finish is None:
            if not state.text:
                raise _Retry("stream ended without [DONE]")
            state.fail("stream cut off before [DONE]")

    async def close(self) -> None:
        await self._client.aclose()


async def _check_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    body = (await response.aread()).decode("utf-8", "replace")[:200]
    if status in (401, 403):
        raise EngineUnavailable(
            f"remote engine refused the request ({status}): check SUPPORTBOT_OPENAI_API_KEY"
        )
    if status == 404:
        raise EngineUnavailable(
            f"remote engine answered 404 for {response.request.url}: check the base URL in "
            "SUPPORTBOT_MODEL (openai:http://host:port/v1) and SUPPORTBOT_OPENAI_MODEL"
        )
    if status in RETRY_STATUS or status >= 500:
        raise _Retry(f"HTTP {status}", response.headers.get("retry-after"))
    raise EngineError(f"remote engine rejected the request ({status}): {body}")


class _StreamState:
    """What has arrived so far for one request."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.text = ""
        self.first_token_at: float | None = None
        self.finish: FinishReason | None = None
        self.error: str | None = None
        self.done = False
        self.usage: dict[str, int] = {}
        self.chunks = 0

    def take(self, event: dict[str, Any], on_text: TextCallback | None) -> None:
        if event.get("usage"):
            self.usage = event["usage"]
        for choice in event.get("choices") or []:
            piece = (choice.get("delta") or {}).get("content") or ""
            if piece:
                if self.first_token_at is None:
                    self.first_token_at = time.monotonic()
                self.text += piece
                self.chunks += 1
                if on_text is not None:
                    on_text(piece)
            reason = choice.get("finish_reason")
            if reason:
                self.finish = FINISH_REASONS.get(reason, "stop")

    def fail(self, error: str) -> None:
        self.finish, self.error = "error", error

    def result(self, model: str, prompt_estimate: int) -> Generation:
        return Generation(
            text=self.text,
            prompt_tokens=int(self.usage.get("prompt_tokens", prompt_estimate)),
            completion_tokens=int(self.usage.get("completion_tokens", self.chunks)),
            finish_reason=self.finish or "stop",
            time_to_first_token=(
                None if self.first_token_at is None else self.first_token_at - self.started
            ),
            total_time=time.monotonic() - self.started,
            model=model,
            error=self.error,
        )
