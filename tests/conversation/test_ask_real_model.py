"""One smoke test of the real pipeline: ``supportbot ask --json`` as a subprocess, real model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT


@pytest.mark.slow
def test_ask_json_answers_shipping_from_the_demo_faq_with_the_bundled_model(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    env.update(
        SUPPORTBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'ask.db'}",
        # The converted model and document vectors are shared caches: reuse them across runs.
        SUPPORTBOT_MODEL_CACHE_DIR=str(PROJECT_ROOT / "data" / "models"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "how long does shipping take?", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["mode"] == "faq"
    assert "business days" in result["reply"]
    assert result["faq_ids"] and 0 < result["confidence"] <= 1
    assert isinstance(result["latency_ms"], int) and result["latency_ms"] < 5_000
    assert "loaded smollm2" in done.stderr  # the model really was loaded
