"""Web console fixtures: the real app over a real SQLite file, driven by httpx in-process."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from bot.app import App, open_app
from bot.channels.web import ConsoleServices, create_app
from bot.config import Settings
from bot.conversation.handoff import Customer

ADMIN = 111
OTHER_ADMIN = 222
SECRET = "x" * 48
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


class RecordingMessenger:
    """The hand-off port as a test double that keeps what it would have sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []

    async def send(self, customer: Customer, text: str) -> None:
        self.sent.append((customer.chat_id, text))


@dataclass
class Console:
    app: App
    services: ConsoleServices
    client: httpx.AsyncClient
    messenger: RecordingMessenger

    async def login(self, admin_id: int = ADMIN) -> str:
        """Sign in through a one-time link; returns the session's CSRF token."""
        link = await self.services.logins.issue_link(admin_id)
        token = link.rsplit("/", 1)[1]
        response = await self.client.post("/login", data={"token": token})
        assert response.status_code == 303, response.text
        page = await self.client.get("/faq")
        match = CSRF.search(page.text)
        assert match and match.group(1)
        return match.group(1)


@pytest.fixture
def console_settings(settings: Settings, tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return settings.model_copy(
        update={
            "admin_ids": [ADMIN, OTHER_ADMIN],
            "embedding_model": "none",
            "console_secret_file": tmp_path / "console_secret",
            "console_port": 8099,
        }
    )


@pytest.fixture
async def console(console_settings: Settings) -> AsyncIterator[Console]:
    async with open_app(console_settings, load_model=False, import_demo=True) as app:
        messenger = RecordingMessenger()
        services = ConsoleServices.from_app(app, console_settings, messenger)
        transport = httpx.ASGITransport(app=create_app(services))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Console(app, services, client, messenger)
