"""The README's configuration table is generated from Settings; this keeps the two in step."""

from __future__ import annotations

from bot.commands.config_cmd import settings_table
from bot.config import PROJECT_ROOT

START, END = "<!-- settings-table:start -->\n", "<!-- settings-table:end -->"


def test_readme_settings_table_matches_settings() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index(START) + len(START) : readme.index(END)].strip()
    assert table == settings_table(), (
        "README configuration table is out of date: paste `supportbot config --table` "
        "between the settings-table markers"
    )


def test_readme_opens_with_the_two_commands() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    opening = readme[: readme.index("Nothing else")]
    assert "make run" in opening and "make test" in opening
