"""``load_engine``: the one place that turns Settings into a started ``GenerationEngine``.

``SUPPORTBOT_MODEL=openai:<base_url>`` gives the remote engine; anything else is resolved to a
local model, loaded in a worker thread (never on the event loop), wrapped in the batching
``LocalEngine``, started and warmed up before it is returned.
"""

from __future__ import annotations

import asyncio
import logging

from bot.config import Settings
from bot.engine.base import GenerationEngine

log = logging.getLogger(__name__)

REMOTE_PREFIX = "openai:"


async def load_engine(settings: Settings) -> GenerationEngine:
    """Build, start and warm up the engine that ``settings.model`` names."""
    if settings.model.startswith(REMOTE_PREFIX):
        from bot.engine.remote import RemoteEngine

        return RemoteEngine.from_settings(settings)
    return await _load_local(settings)


async def _load_local(settings: Settings) -> GenerationEngine:
    from bot.engine.loading import choose_dtype, configure_threads, load_model
    from bot.engine.local import LocalEngine
    from bot.engine.model_source import resolve_model

    source = resolve_model(settings.model)
    threads = configure_threads(settings.model_threads)
    dtype = choose_dtype(settings.model_dtype)
    log.info("loading model %s (%s, %d threads)", source.name, dtype, threads)
    loaded = await asyncio.to_thread(load_model, source, dtype, settings.model_cache_dir)
    engine = LocalEngine(
        loaded.model,
        loaded.tokenizer,
        name=source.name,
        max_batch=settings.engine_max_batch,
        queue_size=settings.engine_queue_size,
        max_new_tokens=settings.max_new_tokens,
        threads=threads,
    )
    engine.start()
    try:
        warm = await engine.warm_up()
    except BaseException:
        await engine.close()
        raise
    log.info("engine ready: warm-up took %.2f s", warm.total_time)
    return engine
