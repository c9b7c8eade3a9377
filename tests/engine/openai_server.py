"""A protocol-faithful fake OpenAI-compatible server for the remote engine's tests.

Real HTTP/1.1 over a real socket on 127.0.0.1 (asyncio streams), chunked transfer encoding and
SSE framing (``data: {json}\\n\\n`` ... ``data: [DONE]``) as vLLM and llama.cpp's server send
them. Each request to ``/v1/chat/completions`` plays the next scripted ``Reply``: an error
status, a stream cut off after some chunks (connection aborted mid-body), a stream that stalls
forever, or a normal stream.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    pieces: tuple[str, ...] = ("Hello", ",", " how", " can", " I", " help", "?")
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None  # abort the connection after this many content chunks
    stall_after: int | None = None  # stop sending (but keep the connection) after this many
    finish_reason: str = "stop"


class FakeOpenAIServer:
    """Serves scripted replies; records every request body it received."""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.script: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self._server: asyncio.Server | None = None
        self._never = asyncio.Event()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line = (await reader.readline()).decode()
        method, path, _ = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        while (line := (await reader.readline()).decode().strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        if method != "POST" or path != "/v1/chat/completions":
            await _send_json(writer, 404, {"error": {"message": "not found"}})
            return
        if self.api_key and headers.get("authorization") != f"Bearer {self.api_key}":
            await _send_json(writer, 401, {"error": {"message": "invalid api key"}})
            return
        payload = json.loads(body)
        self.requests.append(payload)
        reply = self.script.popleft() if self.script else Reply()
        if reply.status != 200:
            await _send_json(
                writer, reply.status, {"error": {"message": "scripted"}}, reply.headers
            )
            return
        await self._stream(writer, reply, payload)

    async def _stream(self, writer: asyncio.StreamWriter, reply: Reply, payload: dict) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": payload["model"]}
        for index, piece in enumerate(reply.pieces):
            if index == reply.cut_after:
                writer.transport.abort()  # mid-body: no terminating chunk
                return
            if index == reply.stall_after:
                await self._never.wait()
            delta = {"role": "assistant", "content": piece} if index == 0 else {"content": piece}
            event = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            await _send_event(writer, json.dumps(event))
        last = {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish_reason}],
        }
        await _send_event(writer, json.dumps(last))
        usage = {"prompt_tokens": 42, "completion_tokens": len(reply.pieces), "total_tokens": 0}
        await _send_event(writer, json.dumps({**base, "choices": [], "usage": usage}))
        await _send_event(writer, "[DONE]")
        writer.write(b"0\r\n\r\n")
        await writer.drain()


async def _send_event(writer: asyncio.StreamWriter, data: str) -> None:
    frame = f"data: {data}\n\n".encode()
    writer.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
    await writer.drain()


async def _send_json(
    writer: asyncio.StreamWriter, status: int, body: dict, headers: dict[str, str] | None = None
) -> None:
    data = json.dumps(body).encode()
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    head = (
        f"HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n{extra}Connection: close\r\n\r\n"
    )
    writer.write(head.encode() + data)
    await writer.drain()
