"""Fixtures: the real composition root on a SQLite file, and a free port on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from bot.config import Settings


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def ops_settings(settings: Settings) -> Settings:
    """Lexical retrieval only (fast start), metrics on a free local port."""
    return settings.model_copy(
        update={"embedding_model": "none", "metrics_port": free_port(), "instance_name": "test-1"}
    )
