"""An encoder whose model is loaded the first time it has to encode, not at start.

The mpnet reranker (``rerank``) is the largest model beside the generation engine (110M
parameters, about 220 MB in bfloat16 and more while loading), and it only ever looks at English
questions MiniLM is unsure of. Its entry vectors come from the on-disk vector cache
(``vector_cache``) after the first start, so a bot can answer every sure question, and every
non-English one, without it: ``LazyEncoder`` loads it on the first text that really needs
encoding, which is a customer's unsure English question (searches run in a worker thread, never
on the event loop) or an entry the cache has not seen. Loading while the generation model loads
would stack both models' load-time peaks; loaded later, only its resident size adds up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np

from bot.knowledge.encoders.base import EncoderError, TextEncoder

log = logging.getLogger(__name__)


class LazyEncoder:
    """``load()``'s encoder, called once, by the first ``encode`` (thread-safe)."""

    def __init__(
        self,
        load: Callable[[], TextEncoder],
        *,
        languages: frozenset[str] | None,
        family: str | None = None,
        name: str = "encoder",
    ) -> None:
        self.languages = languages
        self.family = family
        self.name = name
        self._load = load
        self._loaded: TextEncoder | None = None
        self._failed: EncoderError | None = None  # a failed load is not retried per question
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """True once the model is in memory."""
        return self._loaded is not None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The loaded encoder's vectors of ``texts`` (loading it first if needed)."""
        return self.model().encode(texts)

    def model(self) -> TextEncoder:
        """The encoder, loaded now if it was not yet."""
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._lock:
            if self._failed is not None:
                raise self._failed
            if self._loaded is None:
                started = time.perf_counter()
                try:
                    self._loaded = self._load()
                except EncoderError as exc:
                    self._failed = exc
                    raise
                log.info("loaded %s in %.1f s", self.name, time.perf_counter() - started)
            return self._loaded
