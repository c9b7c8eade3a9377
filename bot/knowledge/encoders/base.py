"""What every sentence encoder is: the ``TextEncoder`` protocol, its error and the shared names.

Kept apart from the encoders themselves so that the vector cache, the router and the reranker
depend on this small module only, not on one another (their old home, ``embedding.py``, and
``encoders.py``, ``mpnet.py`` and ``vector_cache.py`` imported each other in a circle).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

BUNDLED_MINILM = "minilm"
MULTILINGUAL_E5 = "e5"
RERANK_MPNET = "mpnet"  # all-mpnet-base-v2: re-ranks uncertain English questions (``rerank``)
DEFAULT_MODEL_DIR = Path("data/models")  # the settings' model_cache_dir default
NO_ENCODER = "none"
ENGLISH_ONLY = frozenset({"en"})
MAX_TOKENS = 128  # all-MiniLM-L6-v2 was trained on 128 tokens; 256 measured no better, 2x slower
ENCODE_BATCH = 64
# Inputs are padded to a multiple of this many tokens (masked, so the vectors do not change):
# the CPU kernels keep compiled code and buffers per input shape (about 2 MB each, 195 MB after
# 120 distinct lengths in a long-running bot); buckets of 8 leave at most 16 lengths.
PAD_TO_MULTIPLE = 8
WARM_UP_WORDS = 64  # single-query lengths the traced encoder is warmed up for at load


class EncoderError(RuntimeError):
    """The configured embedding model cannot be loaded."""


@runtime_checkable
class TextEncoder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text.

    An encoder may also have a ``languages`` attribute: the ``detect_language`` codes it
    understands (None or absent: all). Queries in other languages are ranked lexically only.
    """

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...
