"""``supportbot faq`` as a real subprocess on a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import run_cli


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SUPPORTBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/bot.db"}


def faq_ids(env: dict[str, str]) -> list[int]:
    listed = run_cli("faq", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    return [entry["id"] for entry in json.loads(listed.stdout)]


def test_malformed_csv_reports_line_and_writes_nothing(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(
        "id,question,answer\n1,How long is shipping?,3-5 days\n2,,missing question\n",
        encoding="utf-8",
    )
    result = run_cli("faq", "import", str(path), env=env)
    assert result.returncode == 2
    assert "line 3" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert faq_ids(env) == []


def test_import_dry_run_edit_export(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "faq.json"
    path.write_text(
        json.dumps(
            [
                {"id": 7, "question": "Opening hours?", "answer": "Mon-Fri 9:00-18:00"},
                {
                    "id": 9,
                    "question": "营业时间？",
                    "answer": "周一至周五 9:00-18:00",
                    "language": "zh",
                },
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    dry = run_cli("faq", "import", str(path), "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "would add 2" in dry.stdout
    assert faq_ids(env) == []

    assert run_cli("faq", "import", str(path), env=env).returncode == 0
    assert faq_ids(env) == [7, 9]

    edited = run_cli("faq", "edit", "7", "--answer", "Mon-Sat 9:00-18:00", env=env)
    assert "answer: 'Mon-Fri 9:00-18:00' -> 'Mon-Sat 9:00-18:00'" in edited.stdout
    shown = json.loads(run_cli("faq", "show", "7", "--json", env=env).stdout)
    assert shown["answer"] == "Mon-Sat 9:00-18:00"
    assert [r["action"] for r in shown["history"]] == ["create", "update"]

    out = tmp_path / "out.json"
    assert run_cli("faq", "export", str(out), env=env).returncode == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    exported = exported["faq"] if isinstance(exported, dict) else exported
    assert [e["answer"] for e in exported] == ["Mon-Sat 9:00-18:00", "周一至周五 9:00-18:00"]

    missing = run_cli("faq", "delete", "99", env=env)
    assert missing.returncode == 1
    assert "no FAQ entry 99" in missing.stderr
