"""Which engine ``SUPPORTBOT_MODEL`` names: a list of registered engines, first match wins.

Each entry is a matcher (does this setting name me?) and a loader (build, start and warm up the
engine from Settings). The bundled entries are registered below exactly like any other:
``openai:<base_url>`` is the remote engine; a bundled model name, a model directory, a ``.gguf``
path or a hub id is the local batching engine. Loaders import their backend only when called,
so importing ``bot.engine`` never pulls in torch or transformers.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.engine.base import EngineUnavailable, GenerationEngine

log = logging.getLogger(__name__)

REMOTE_PREFIX = "openai:"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")  # "openai:", "llamacpp:" (not "C:")

Matcher = Callable[[str], bool]
Loader = Callable[[Settings], Awaitable[GenerationEngine]]


@dataclass(frozen=True, slots=True)
class EngineEntry:
    """One way of naming an engine in ``SUPPORTBOT_MODEL``."""

    name: str
    matches: Matcher
    load: Loader


_ENTRIES: list[EngineEntry] = []


def register_engine(name: str, matches: Matcher, load: Loader) -> None:
    """Add an engine after the ones already registered (the first match wins)."""
    _ENTRIES.append(EngineEntry(name, matches, load))


def prefixed(prefix: str) -> Matcher:
    """A matcher for settings that start with ``prefix`` (such as ``openai:``)."""
    return lambda model: model.startswith(prefix)


def engine_for(model: str) -> EngineEntry:
    """The first registered engine whose matcher accepts ``model``."""
    for entry in _ENTRIES:
        if entry.matches(model):
            return entry
    raise EngineUnavailable(
        f"SUPPORTBOT_MODEL: no engine is registered for {model!r} (expected openai:<base_url>, "
        "a bundled model name, a model directory, a .gguf path or a hub id)"
    )


async def load_engine(settings: Settings) -> GenerationEngine:
    """Build, start and warm up the engine that ``settings.model`` names."""
    return await engine_for(settings.model).load(settings)


def names_local_model(model: str) -> bool:
    """Bundled name, directory, ``.gguf`` path or hub id: anything without a ``scheme:``
    prefix (``model_source`` tells them apart and names a missing path)."""
    key = model.strip()
    return not _SCHEME.match(key) or Path(key).expanduser().exists()


async def _load_remote(settings: Settings) -> GenerationEngine:
    from bot.engine.remote import RemoteEngine

    return RemoteEngine.from_settings(settings)


async def _load_local(settings: Settings) -> GenerationEngine:
    """Load the model in a worker thread (never on the event loop), start the batching engine
    and warm it up."""
    from bot.engine.cpu import choose_format, load_dtype
    from bot.engine.loading import configure_threads, load_model
    from bot.engine.local import LocalEngine
    from bot.engine.model_source import resolve_model

    source = resolve_model(settings.model)
    threads = configure_threads(settings.model_threads)
    weights = choose_format(settings.model_dtype)
    dtype = load_dtype(weights)
    log.info("loading model %s (%s weights, %d threads)", source.name, weights, threads)
    loaded = await asyncio.to_thread(load_model, source, dtype, settings.model_cache_dir)
    engine = LocalEngine(
        loaded.model,
        loaded.tokenizer,
        name=source.name,
        max_batch=settings.engine_max_batch,
        queue_size=settings.engine_queue_size,
        max_new_tokens=settings.max_new_tokens,
        cache_mb=settings.engine_cache_mb,
        threads=threads,
        weights=weights,
    )
    log.info("engine runs %s", engine.runs)
    engine.start()
    try:
        warm = await engine.warm_up()
    except BaseException:
        await engine.close()
        raise
    log.info("engine ready: warm-up took %.2f s", warm.total_time)
    return engine


register_engine("openai", prefixed(REMOTE_PREFIX), _load_remote)
register_engine("local", names_local_model, _load_local)
