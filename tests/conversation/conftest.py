"""Fixtures for the answering pipeline: a FakeEngine, a catalog with fixed hits, the service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App, open_app
from bot.config import PROJECT_ROOT, Settings
from bot.conversation.policy import Thresholds
from bot.conversation.service import ConversationService
from bot.conversation.texts import Texts
from bot.engine.fake import FakeEngine
from bot.knowledge.entries import FaqDocument, FaqHit
from tests.conversation.shop_faq import SHOP_FAQ

SHIPPING = FaqDocument(
    1,
    "How long does shipping take?",
    "Orders ship within 1 business day and arrive in 3-5 business days.",
)
RETURNS = FaqDocument(
    2,
    "What is your return policy?",
    "You can return any unused item within 30 days of delivery for a full refund.",
)
HOURS = FaqDocument(
    3, "When is the store open?", "Our store opens at 9:30 and closes at 18:00, Monday to Saturday."
)
LIMITS = Thresholds(confident=0.8, related=0.3)


class FixedCatalog:
    """A catalog fake: ``search`` returns the hits set for the next question, and records it."""

    def __init__(self) -> None:
        self.hits: list[FaqHit] = []
        self.queries: list[str] = []
        self.syncs = 0

    def answer_with(self, *pairs: tuple[FaqDocument, float]) -> None:
        self.hits = [FaqHit(doc, score=conf, confidence=conf) for doc, conf in pairs]

    async def sync(self) -> bool:
        self.syncs += 1
        return False

    def search(self, query: str, k: int = 5, language: str | None = None) -> list[FaqHit]:
        self.queries.append(query)
        return [h for h in self.hits if language is None or h.document.language == language][:k]

    async def lookup(self, query: str, k: int = 5, language: str | None = None) -> list[FaqHit]:
        await self.sync()
        return self.search(query, k, language)


@pytest.fixture
def prompts_dir() -> Path:
    return PROJECT_ROOT / "prompts"


@pytest.fixture
def texts(prompts_dir: Path) -> Texts:
    return Texts.from_folder(prompts_dir / "locales", business_name="Acme Shop")


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def catalog() -> FixedCatalog:
    return FixedCatalog()


def make_service(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    catalog: object,
    engine: FakeEngine | None,
    texts: Texts,
    **kwargs: object,
) -> ConversationService:
    return ConversationService(
        settings=settings,
        session_factory=session_factory,
        catalog=catalog,  # type: ignore[arg-type]
        engine=engine,
        texts=texts,
        limits=LIMITS,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def service(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    catalog: FixedCatalog,
    fake_engine: FakeEngine,
    texts: Texts,
) -> ConversationService:
    return make_service(settings, session_factory, catalog, fake_engine, texts)


def joined(pieces: Sequence[str]) -> str:
    return "".join(pieces)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    """The real app (SQLite file, migrations) with the test shop's FAQ (``shop_faq``), ranked
    lexically (``embedding_model: none``) so that confidences follow from the words alone."""
    lexical = settings.model_copy(update={"embedding_model": "none"})
    async with open_app(lexical, load_model=False, import_demo=False) as opened:
        await opened.catalog.import_records(SHOP_FAQ, author="test")
        yield opened
