"""A fleet of real ``supportbot run`` processes for the scale test, and what surrounds them.

``FakeOpenAI`` is the inference server (an OpenAI-compatible ``/v1`` that streams a short
reply), ``Fleet`` starts and kills ``python -m bot run`` processes in webhook mode on one
database, and ``RoundRobin`` is the load balancer: it forwards each update to the next live
instance and, like nginx with ``proxy_next_upstream`` plus Telegram's own redelivery, tries the
next one when an instance does not answer 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import tornado.httpserver
import tornado.netutil
import tornado.web

from bot.config import PROJECT_ROOT
from tests.observability.conftest import free_port

WEBHOOK_PATH = "telegram/webhook"
WEBHOOK_SECRET = "scale-test-secret"


class _Models(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write({"object": "list", "data": [{"id": "default", "object": "model"}]})


class _Completions(tornado.web.RequestHandler):
    def initialize(self, server: FakeOpenAI) -> None:
        self.server = server

    async def post(self) -> None:
        self.server.requests += 1
        self.set_header("Content-Type", "text/event-stream")
        for piece in ("Thanks", " for", " asking."):
            chunk = {"choices": [{"index": 0, "delta": {"content": piece}}]}
            self.write(f"data: {json.dumps(chunk)}\n\n")
        done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n")


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1 that always streams the same short reply."""

    def __init__(self) -> None:
        self.requests = 0
        self.port = 0
        self._server: tornado.httpserver.HTTPServer | None = None

    async def start(self) -> None:
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        app = tornado.web.Application(
            [(r"/v1/models", _Models), (r"/v1/chat/completions", _Completions, {"server": self})]
        )
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()

    @property
    def model_setting(self) -> str:
        return f"openai:http://127.0.0.1:{self.port}"


@dataclass
class Instance:
    """One ``supportbot run`` process."""

    name: str
    webhook_port: int
    metrics_port: int
    log: Path
    process: asyncio.subprocess.Process | None = None
    killed: bool = False
    started_at: float = 0.0  # time.monotonic() at start: its scheduler fires an interval later

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None and not self.killed

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.metrics_port}{path}"


@dataclass
class Fleet:
    """``count`` instances sharing ``env`` (database, Bot API, model), each with its ports."""

    folder: Path
    env: dict[str, str]
    count: int
    instances: list[Instance] = field(default_factory=list)

    def __post_init__(self) -> None:
        for i in range(self.count):
            name = f"bot-{i}"
            self.instances.append(
                Instance(name, free_port(), free_port(), self.folder / f"{name}.log")
            )

    def environment(self, instance: Instance) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            **self.env,
            "SUPPORTBOT_INSTANCE_NAME": instance.name,
            "SUPPORTBOT_WEBHOOK_PORT": str(instance.webhook_port),
            "SUPPORTBOT_METRICS_PORT": str(instance.metrics_port),
        }

    async def command(self, *args: str) -> str:
        """Run ``python -m bot ARGS`` to the end (e.g. ``db upgrade``); its output."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **self.env},
            cwd=self.folder,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await process.communicate()
        assert process.returncode == 0, out.decode()
        return out.decode()

    async def start(self, instance: Instance) -> None:
        instance.started_at = time.monotonic()
        with instance.log.open("wb") as log:
            instance.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run",
                env=self.environment(instance),
                cwd=self.folder,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip

    async def wait_ready(self, instance: Instance, within: float = 90.0) -> None:
        """Until the instance's ``/readyz`` answers 200 (or it died: its log is the error)."""
        async with asyncio.timeout(within), httpx.AsyncClient(timeout=2) as client:
            while True:
                assert instance.alive, f"{instance.name} died:\n{instance.log.read_text()[-3000:]}"
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(instance.url("/readyz"))).status_code == 200:
                        return
                await asyncio.sleep(0.2)  # polling a port that is not open yet

    def kill(self, instance: Instance) -> None:
        """SIGKILL: no shutdown, no released claims, as a crashed machine."""
        assert instance.process is not None
        instance.process.send_signal(signal.SIGKILL)
        instance.killed = True

    async def stop(self) -> None:
        """SIGTERM every live instance, SIGKILL what has not exited after 30 s."""
        for instance in self.instances:
            if instance.process is not None and instance.process.returncode is None:
                instance.process.send_signal(signal.SIGTERM)
        for instance in self.instances:
            if instance.process is None:
                continue
            try:
                await asyncio.wait_for(instance.process.wait(), 30)
            except TimeoutError:
                instance.process.kill()
                await instance.process.wait()


class RoundRobin:
    """The load balancer: each update to the next instance, the next one again on failure."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.next = 0
        self.forwarded: dict[str, int] = {i.name: 0 for i in fleet.instances}
        self.retried = 0
        self.client = httpx.AsyncClient(timeout=10)

    async def post(self, update: dict[str, Any], within: float = 60.0) -> str:
        """Deliver ``update`` until an instance answers 200; which instance took it."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        async with asyncio.timeout(within):
            while True:
                instance = self.fleet.instances[self.next % len(self.fleet.instances)]
                self.next += 1
                if not instance.alive:
                    continue
                url = f"http://127.0.0.1:{instance.webhook_port}/{WEBHOOK_PATH}"
                try:
                    response = await self.client.post(url, json=update, headers=headers)
                except httpx.HTTPError:
                    response = None
                if response is not None and response.status_code == 200:
                    self.forwarded[instance.name] += 1
                    return instance.name
                self.retried += 1
                await asyncio.sleep(0.05)  # Telegram backs off before redelivering

    async def close(self) -> None:
        await self.client.aclose()
