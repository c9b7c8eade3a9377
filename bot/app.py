"""The composition root: every service built from Settings, started and closed in one place.

``async with open_app(settings) as app:`` migrates the database, loads the generation engine
(unless one is given, e.g. a FakeEngine in tests), imports the demo FAQ on the very first start
so that a fresh install answers real questions, builds the FAQ catalog, the conversation and
admin services, and optionally starts the maintenance scheduler. Leaving the block stops the
scheduler, closes the engine it loaded and disposes of the database engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.admin.service import AdminService
from bot.config import Settings, UsageError, UserFacingError
from bot.conversation import ConversationService, HandoffService
from bot.conversation.texts import Texts
from bot.docs_sync import schedule_docs_sync
from bot.engine.base import EngineUnavailable, GenerationEngine
from bot.knowledge.documents.library import DocumentLibrary
from bot.knowledge.encoders.base import EncoderError, TextEncoder
from bot.knowledge.encoders.loading import load_encoder
from bot.knowledge.faq.catalog import FaqCatalog
from bot.knowledge.ranking.index import FaqIndex
from bot.observability.instrumented import instrumented
from bot.prompting.templates import default_template, validate_template
from bot.scheduler import MaintenanceJobs, build_scheduler
from storage import migrations
from storage.db import StorageError, make_engine, make_session_factory

log = logging.getLogger(__name__)

DEMO_FAQ_FILE = "faq.yaml"
DEMO_FAQ_AUTHOR = "demo-import"
HANDOFF_CHANNEL = "telegram"  # the channel whose customers can be handed to human agents


@dataclass(slots=True)
class App:
    """Every long-lived service of one running supportbot."""

    settings: Settings
    engine: GenerationEngine | None
    db_engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    catalog: FaqCatalog
    texts: Texts
    conversation: ConversationService
    admin: AdminService
    handoff: HandoffService  # hand-offs of the Telegram channel, the one with human agents
    jobs: MaintenanceJobs
    documents: DocumentLibrary  # help-centre articles, their passages in the catalog's index
    scheduler: AsyncIOScheduler | None = None


def open_engine(settings: Settings) -> AsyncEngine:
    """The configured engine, or a usage error naming the setting."""
    try:
        return make_engine(settings.database_url)
    except StorageError as exc:
        raise UsageError(f"SUPPORTBOT_DATABASE_URL: {exc}") from None
    except (ImportError, SQLAlchemyError) as exc:
        raise UsageError(f"SUPPORTBOT_DATABASE_URL: cannot open database: {exc}") from None


@asynccontextmanager
async def open_database(
    settings: Settings, *, migrate: bool = True
) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    """The configured database brought to the newest schema (the one migrate-on-open)."""
    engine = open_engine(settings)
    try:
        if migrate:
            try:
                await migrations.upgrade(engine)
            except SQLAlchemyError as exc:
                raise UserFacingError(f"cannot migrate the database: {exc}") from None
        yield engine, make_session_factory(engine)
    finally:
        await engine.dispose()


async def load_generation_engine(settings: Settings) -> GenerationEngine:
    """The started engine named by ``settings.model`` (loaded off the event loop)."""
    from bot.engine import load_engine  # imports torch: only when a model is wanted

    return await load_engine(settings)


def open_encoder(settings: Settings, vector_scope: str = "") -> TextEncoder | None:
    """The configured sentence encoder (None: lexical retrieval only), or one clear error."""
    try:
        return load_encoder(
            settings.embedding_model,
            cache_dir=settings.model_cache_dir,
            vector_scope=vector_scope,
        )
    except EncoderError as exc:
        raise UserFacingError(
            f"SUPPORTBOT_EMBEDDING_MODEL: {exc} (set it to 'none' for lexical retrieval only)"
        ) from None


async def import_demo_faq(settings: Settings, catalog: FaqCatalog) -> int:
    """Import ``prompts/faq.yaml`` when the database has no FAQ at all; returns how many."""
    if not await catalog.is_empty():
        return 0
    path = settings.prompts_dir / DEMO_FAQ_FILE
    if not path.is_file():
        log.warning("the FAQ is empty and there is no demo FAQ at %s", path)
        return 0
    report = await catalog.import_file(path, author=DEMO_FAQ_AUTHOR)
    log.info("first start: imported %d demo FAQ entries from %s", len(report.added), path)
    return len(report.added)


def build_services(
    settings: Settings,
    db_engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    catalog: FaqCatalog,
    engine: GenerationEngine | None,
    documents: DocumentLibrary | None = None,
) -> App:
    """Every service, built once from Settings (the composition root proper)."""
    texts = Texts.from_folder(
        settings.prompts_dir / "locales", business_name=settings.business_name
    )
    documents = documents or DocumentLibrary(session_factory, catalog.index)
    catalog.also_sync.append(documents.catch_up)  # passages share the catalog's index
    return App(
        settings=settings,
        engine=engine,
        db_engine=db_engine,
        session_factory=session_factory,
        catalog=catalog,
        texts=texts,
        conversation=ConversationService(
            settings=settings,
            session_factory=session_factory,
            catalog=catalog,
            engine=engine,
            texts=texts,
        ),
        admin=AdminService(
            session_factory,
            catalog,
            validate_prompt=validate_template,
            default_prompt=lambda name: default_template(settings.prompts_dir, name),
        ),
        handoff=HandoffService(
            session_factory, channel=HANDOFF_CHANNEL, session_ttl=settings.session_ttl
        ),
        jobs=MaintenanceJobs(
            session_factory,
            db_engine,
            session_ttl=settings.session_ttl,
            retention=settings.retention,
            holder=settings.instance_name,
        ),
        documents=documents,
    )


async def open_catalog(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    load_index: bool,
    import_demo: bool,
    vector_scope: str = "",
) -> tuple[FaqCatalog, DocumentLibrary]:
    """The FAQ catalog and the help-centre library on one index, loaded (with the encoder)
    only when answering needs it."""
    encoder = await asyncio.to_thread(open_encoder, settings, vector_scope) if load_index else None
    catalog = FaqCatalog(session_factory, FaqIndex(encoder))
    documents = DocumentLibrary(session_factory, catalog.index)
    if load_index:
        # Passages first: the FAQ's rebuild keeps the passages it finds in the index, and the
        # vector cache keeps what that rebuild holds (loaded after it, every passage was
        # encoded again at every start).
        await documents.load()
        await catalog.load()
    if import_demo:
        await import_demo_faq(settings, catalog)
    return catalog, documents


@asynccontextmanager
async def open_app(
    settings: Settings,
    engine: GenerationEngine | None = None,
    *,
    load_model: bool = True,
    load_index: bool = True,
    import_demo: bool = True,
    start_scheduler: bool = False,
    vector_scope: str = "",
) -> AsyncIterator[App]:
    """Build, start and finally close every service; every entry point comes through here.

    ``engine``: use this generation engine (the caller keeps ownership); otherwise one is loaded
    from settings when ``load_model`` (``False``: no model, partial matches fall back to the
    best FAQ entry; used by ``eval`` without ``--answers`` and by admin commands).
    ``load_index=False`` skips the encoder and the in-memory index (admin commands that only
    edit the database, ``cleanup``). ``vector_scope``: keep the FAQ's vectors on disk apart
    from the bot's (``eval``: a dataset's entries must not replace the bot's FAQ there).
    """
    async with AsyncExitStack() as stack:
        db_engine, session_factory = await stack.enter_async_context(open_database(settings))
        catalog, documents = await open_catalog(
            settings,
            session_factory,
            load_index=load_index,
            import_demo=import_demo,
            vector_scope=vector_scope,
        )
        if engine is None and load_model:
            try:
                engine = instrumented(await load_generation_engine(settings))
            except EngineUnavailable as exc:
                raise UserFacingError(f"SUPPORTBOT_MODEL: {exc}") from None
            stack.push_async_callback(engine.close)
        app = build_services(settings, db_engine, session_factory, catalog, engine, documents)
        stack.push_async_callback(documents.close)  # a background passage sync ends first
        if start_scheduler:
            app.scheduler = build_scheduler(
                app.jobs, interval_minutes=settings.cleanup_interval_minutes
            )
            schedule_docs_sync(
                app.scheduler,
                app.jobs,
                app.documents.scheduled_sync,
                hours=settings.docs_sync_hours,
            )
            app.scheduler.start()
            stack.callback(app.scheduler.shutdown, wait=False)
        yield app
