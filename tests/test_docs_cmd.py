"""``supportbot docs`` through the real CLI entry point on a real SQLite file and a help
site on 127.0.0.1: counts as JSON, exit statuses, and the progress bar only on a terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.docs_cmd import ProgressBar
from tests.knowledge.documents.help_site import Response, help_site


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["docs", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(autouse=True)
def _database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SUPPORTBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("SUPPORTBOT_MODEL_CACHE_DIR", str(tmp_path / "models"))


def test_add_sync_list_remove_with_json_counts(capsys: pytest.CaptureFixture[str]) -> None:
    with help_site() as site:
        for name in ("reset", "wifi"):
            site.html(f"/{name}.html", name.title(), f"<p>How to {name} the TV, step by step.</p>")
        site.sitemap(["/reset.html", "/wifi.html"])

        status, out, err = run(capsys, "add", f"{site.base}/sitemap.xml", "--json")
        assert status == 0, err
        counts = json.loads(out)
        assert {k: counts[k] for k in ("added", "changed", "unchanged", "removed", "failed")} == {
            "added": 2, "changed": 0, "unchanged": 0, "removed": 0, "failed": 0
        }  # fmt: skip
        assert err == ""  # not a terminal: no progress bar

        site.pages["/wifi.html"] = Response("busy", "text/plain", 502)
        status, out, _ = run(capsys, "sync", "--json")
        assert status == 1  # a failure is reported in the exit status too
        report = json.loads(out)
        assert (report["unchanged"], report["failed"]) == (1, 1)
        assert report["failures"] == [{"location": f"{site.base}/wifi.html", "reason": "HTTP 502"}]

        status, out, _ = run(capsys, "list", "--json")
        [source] = json.loads(out)
        assert (source["kind"], source["articles"], source["failing"]) == ("sitemap", 2, 1)

        status, out, _ = run(capsys, "remove", str(source["id"]), "--json")
        assert (status, json.loads(out)["removed"]) == (0, 2)
        status, out, _ = run(capsys, "list")
        assert out.startswith("no sources yet")


def test_a_folder_in_text_and_the_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "help").mkdir()
    (tmp_path / "help" / "manual.md").write_text("# Manual\n\n## Reset\n\nHold power for 10 s.")
    status, out, _ = run(capsys, "add", str(tmp_path / "help"))
    assert status == 0
    assert out.strip() == "added 1, changed 0, unchanged 0, removed 0, failed 0"
    status, out, _ = run(capsys, "list")
    assert "folder" in out and "1 articles" in out and str(tmp_path / "help") in out

    assert run(capsys, "add", str(tmp_path / "missing.md"))[0] == 2
    status, _, err = run(capsys, "sync", "99")
    assert status == 1 and "no source 99" in err


def test_the_progress_bar_draws_on_a_terminal_only() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = ProgressBar(stream)
        bar(3, 4, "https://help.example.com/reset.html")
        bar.close()
    assert "3/4" in terminal.getvalue() and "#" * 22 in terminal.getvalue()
    assert pipe.getvalue() == ""
