"""Fixtures for the admin layer: a catalog over a lexical-only index on the real test database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin.service import AdminService
from bot.config import PROJECT_ROOT
from bot.knowledge.faq.catalog import FaqCatalog
from bot.knowledge.ranking.index import FaqIndex
from bot.prompting.templates import default_template, validate_template


@pytest.fixture
def catalog(session_factory: async_sessionmaker[AsyncSession]) -> FaqCatalog:
    return FaqCatalog(session_factory, FaqIndex(encoder=None))


@pytest.fixture
def prompt_changes() -> list[str]:
    return []


@pytest.fixture
def admin(
    session_factory: async_sessionmaker[AsyncSession],
    catalog: FaqCatalog,
    prompt_changes: list[str],
) -> AdminService:
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    return AdminService(
        session_factory,
        catalog,
        validate_prompt=validate_template,
        default_prompt=lambda name: default_template(prompts_dir, name),
        on_prompt_change=lambda: prompt_changes.append("changed"),
    )
