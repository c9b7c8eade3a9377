"""Embeddings of FAQ texts kept on disk, so a restart does not re-encode the whole FAQ.

Encoding is the slow part of building the index (tens of texts per second on a small CPU, so
minutes for a FAQ of 10,000 entries); the vectors of unchanged texts never change for a given
model. ``DiskCachedEncoder`` wraps an encoder: texts it has seen come from an ``.npz`` file
(keyed by a hash of model name and text), new ones are encoded and written back after each bulk
call. Single texts (customer questions) pass straight through and are never stored.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from bot.knowledge.encoders.base import TextEncoder

log = logging.getLogger(__name__)

DOCUMENTS = "\0documents"  # key suffix of vectors made by ``encode_documents``
BULK = 2  # calls with at least this many texts are document encodings worth remembering


def text_key(model: str, text: str) -> str:
    """Stable key of one text's vector under one model."""
    return hashlib.blake2b(f"{model}\0{text}".encode(), digest_size=16).hexdigest()


class DiskCachedEncoder:
    """An encoder whose document vectors survive restarts in ``path`` (an .npz file)."""

    def __init__(self, inner: TextEncoder, path: Path, model: str) -> None:
        self.inner = inner
        self.path = Path(path)
        self.model = model
        self.languages = getattr(inner, "languages", None)
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] = self._load()

    def __len__(self) -> int:
        return len(self._vectors)

    def _load(self) -> dict[str, np.ndarray]:
        if not self.path.is_file():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable embedding cache %s: %s", self.path, exc)
            return {}
        return {str(key): vector for key, vector in zip(keys, vectors, strict=True)}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Cached vectors for known texts; the inner encoder for the rest (stored if bulk)."""
        if len(texts) < BULK:
            return self.inner.encode(texts)
        return self._cached(texts, self.model, self.inner.encode)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Like ``encode`` for an encoder that encodes FAQ texts its own way (e5's passages)."""
        encode_documents = getattr(self.inner, "encode_documents", None)
        if not callable(encode_documents):
            return self.encode(texts)
        return self._cached(texts, self.model + DOCUMENTS, encode_documents)

    def _cached(
        self, texts: Sequence[str], model: str, encode: Callable[[Sequence[str]], np.ndarray]
    ) -> np.ndarray:
        if not texts:
            return np.asarray(encode(texts), dtype=np.float32)
        keys = [text_key(model, text) for text in texts]
        with self._lock:
            missing = [i for i, key in enumerate(keys) if key not in self._vectors]
        if missing:
            fresh = encode([texts[i] for i in missing])
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    self._vectors[keys[i]] = vector
            self.save()
        with self._lock:
            return np.vstack([self._vectors[key] for key in keys]).astype(np.float32)

    def retain(self, texts: Iterable[str]) -> None:
        """Forget every stored vector except those of ``texts`` (called after a full rebuild).

        No texts at all prunes nothing: that is the empty FAQ of a first start, loaded just
        before the demo FAQ (or a file) is imported, and pruning then made every model encode
        the whole import again (mpnet loaded at start for it)."""
        texts = list(texts)
        if not texts:
            return
        keep = {text_key(self.model, text) for text in texts}
        keep |= {text_key(self.model + DOCUMENTS, text) for text in texts}
        self.save(keep=keep)

    def save(self, keep: set[str] | None = None) -> None:
        """Write the cache (atomically); ``keep`` limits it to those keys (prunes old texts)."""
        with self._lock:
            if keep is not None:
                self._vectors = {k: v for k, v in self._vectors.items() if k in keep}
            if not self._vectors:
                return
            keys = np.array(list(self._vectors), dtype="U32")
            vectors = np.vstack(list(self._vectors.values())).astype(np.float32)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(self.path.name + ".tmp.npz")
            np.savez(temporary, keys=keys, vectors=vectors)
            temporary.replace(self.path)
        except OSError as exc:
            log.warning("cannot write the embedding cache %s: %s", self.path, exc)


def disk_cached(
    encoder: TextEncoder, cache_dir: Path | None, model_id: str, scope: str = ""
) -> TextEncoder:
    """``encoder`` with its document vectors kept in ``cache_dir`` (as is without one), in a
    file per model and ``scope`` (each index prunes its file to its own entries)."""
    if cache_dir is None:
        return encoder
    name = f"embeddings-{file_slug(model_id)}" + (f".{file_slug(scope)}" if scope else "")
    return DiskCachedEncoder(encoder, Path(cache_dir) / f"{name}.npz", model_id)


def file_slug(text: str) -> str:
    """``text`` as a file-name part: letters and digits, the rest dashes, at most 80."""
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-")[-80:]
