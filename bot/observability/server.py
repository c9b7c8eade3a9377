"""The health and metrics HTTP server: ``/healthz``, ``/readyz``, ``/metrics``, in-process.

A deliberately tiny HTTP/1.1 server on ``asyncio.start_server`` (GET and HEAD, one request per
connection, ``Connection: close``): probes and Prometheus need nothing more, it runs in the
bot's own event loop (so it reads the live engine and services), and it pulls in no web
framework. Bound to 127.0.0.1 unless ``SUPPORTBOT_METRICS_LISTEN`` says otherwise, since
``/metrics`` tells more about the business than the public should see.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.observability.logs import log_context, new_request_id

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 10.0
MAX_HEADER_BYTES = 16_384
REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 400: "Bad Request"}
REASONS |= {500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass(frozen=True, slots=True)
class Response:
    """What one route answers."""

    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"

    @classmethod
    def json(cls, status: int, value: object) -> Response:
        return cls(status, json.dumps(value).encode() + b"\n", "application/json")


Route = Callable[[], Awaitable[Response]]


class OperationsServer:
    """Serves ``routes`` (path -> coroutine giving a Response) on ``host:port``."""

    def __init__(self, routes: dict[str, Route], host: str, port: int) -> None:
        self.routes = routes
        self.host = host
        self.requested_port = port
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked for)."""
        if self._server is None or not self._server.sockets:
            return self.requested_port
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.host, self.requested_port, limit=MAX_HEADER_BYTES
        )
        log.info("health and metrics on http://%s:%d/metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with log_context(request_id=new_request_id()):
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_SECONDS):
                    method, path = await read_request(reader)
                    response = await self._respond(method, path)
                    await write_response(writer, response, head=method == "HEAD")
            except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                pass  # a probe that hung up or spoke nonsense: nothing to answer
            finally:
                writer.close()

    async def _respond(self, method: str, path: str) -> Response:
        route = self.routes.get(path.split("?", 1)[0])
        if route is None:
            return Response(404, b"not found\n")
        if method not in ("GET", "HEAD"):
            return Response(405, b"GET only\n")
        try:
            return await route()
        except Exception:
            log.exception("%s failed", path)
            return Response(500, b"internal error\n")


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str]:
    """(method, path) of one request; the headers are read and ignored."""
    line = (await reader.readline()).decode("latin-1").strip()
    parts = line.split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise ValueError("not an HTTP request line")
    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
        pass
    return parts[0].upper(), parts[1]


async def write_response(writer: asyncio.StreamWriter, response: Response, *, head: bool) -> None:
    reason = REASONS.get(response.status, "")
    header = (
        f"HTTP/1.1 {response.status} {reason}\r\n"
        f"Content-Type: {response.content_type}\r\n"
        f"Content-Length: {len(response.body)}\r\n"
        "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
    )
    writer.write(header.encode("latin-1") + (b"" if head else response.body))
    await writer.drain()
