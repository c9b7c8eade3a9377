"""The supportbot command line run as a real subprocess: exit codes and messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=clean,
        cwd=cwd or PROJECT_ROOT,
        timeout=120,
    )


def test_help_lists_subcommands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for name in ("config", "db"):
        assert name in result.stdout


def test_config_prints_masked_settings(tmp_path: Path) -> None:
    result = run_cli(
        "config",
        env={
            "SUPPORTBOT_TELEGRAM_TOKEN": "999:TOPSECRETVALUE1234",
            "SUPPORTBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "SUPPORTBOT_TELEGRAM_TOKEN" in result.stdout
    assert "TOPSECRET" not in result.stdout
    assert "****1234" in result.stdout


@pytest.mark.parametrize(
    "url_template",
    ["nonsense", "sqlite+aiosqlite:///{blocked}/db/bot.db"],
)
def test_bad_database_url_is_one_line_and_status_2(tmp_path: Path, url_template: str) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("file")
    url = url_template.format(blocked=blocked)
    result = run_cli("config", env={"SUPPORTBOT_DATABASE_URL": url})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SUPPORTBOT_DATABASE_URL" in lines[0]
    assert "Traceback" not in result.stderr


def test_unwritable_database_folder_as_non_root(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere; covered by the not-a-folder case")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = run_cli(
        "db", "upgrade", env={"SUPPORTBOT_DATABASE_URL": f"sqlite+aiosqlite:///{locked}/bot.db"}
    )
    assert result.returncode == 2
    assert "not writable" in result.stderr


def test_db_upgrade_then_current(tmp_path: Path) -> None:
    env = {"SUPPORTBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/data/bot.db"}
    before = run_cli("db", "current", env=env)
    assert before.returncode == 0, before.stderr
    assert before.stdout.startswith("empty")
    upgraded = run_cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    after = run_cli("db", "current", env=env)
    assert "(head)" in after.stdout
    assert (tmp_path / "data" / "bot.db").exists()
