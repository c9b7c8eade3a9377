"""The import rules of docs/architecture.md, checked on every module (lazy imports included).

A rule that lives only in a document is forgotten; this test fails the moment a forbidden
import appears, and names the file, the line and the rule it breaks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = (
    "bot/conversation/",
    "bot/knowledge/",
    "bot/prompting/",
    "bot/admin/",
    "bot/engine/",
    "bot/delivery/",
)
# channel packages: the composition root (bot.commands) wires one to another, e.g. Telegram's
# support group reaches web chat visitors through a ``ChannelMessenger`` it is handed
CHANNELS = ("telegram", "web", "webchat")
ENTRY_POINTS = ("bot.channels", "bot.app", "bot.cli", "bot.commands", "bot.scheduler")


@dataclass(frozen=True)
class Rule:
    """Modules under ``where`` (minus ``except_in``) must not import ``forbidden``."""

    name: str
    where: tuple[str, ...]
    forbidden: tuple[str, ...]
    except_in: tuple[str, ...] = ()


RULES = (
    Rule("channels talk to services, never to storage", ("bot/channels/",), ("storage",)),
    Rule("storage knows nothing of the bot", ("storage/",), ("bot",)),
    Rule(
        "only the engine and the encoder import torch or transformers",
        ("bot/", "storage/"),
        ("torch", "transformers"),
        except_in=("bot/engine/", "bot/knowledge/encoders/"),
    ),
    Rule(
        "only the Telegram channel imports telegram",
        ("bot/", "storage/"),
        ("telegram",),
        except_in=("bot/channels/telegram/",),
    ),
    Rule("the core never imports a channel or the wiring", CORE, ENTRY_POINTS),
    Rule(
        "only the web console and the web chat import starlette or uvicorn",
        ("bot/", "storage/"),
        ("starlette", "uvicorn"),
        except_in=("bot/channels/web/", "bot/channels/webchat/"),
    ),
    Rule(
        "only observability imports prometheus_client",
        ("bot/", "storage/"),
        ("prometheus_client",),
        except_in=("bot/observability/",),
    ),
    *(
        Rule(
            f"a channel never imports another ({channel})",
            (f"bot/channels/{channel}/",),
            tuple(f"bot.channels.{other}" for other in CHANNELS if other != channel),
        )
        for channel in CHANNELS
    ),
    Rule(
        "the prompt builder is pure: no database",
        ("bot/prompting/",),
        ("storage", "sqlalchemy"),
    ),
)


def python_files() -> list[Path]:
    return sorted(p for top in ("bot", "storage") for p in (ROOT / top).rglob("*.py"))


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the file, at any depth (function-level too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def _matches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(rule: Rule) -> list[str]:
    found = []
    for path in python_files():
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(rule.where) or relative.startswith(rule.except_in):
            continue
        for line, module in imported_modules(path):
            if any(_matches(module, forbidden) for forbidden in rule.forbidden):
                found.append(f"{relative}:{line} imports {module}")
    return found


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_import_rule(rule: Rule) -> None:
    assert violations(rule) == []


def test_the_rules_see_imports() -> None:
    """The checker itself: it finds the imports that the allowed modules really have."""
    telegram_users = [
        p for p in python_files() if any(m == "telegram" for _, m in imported_modules(p))
    ]
    assert telegram_users, "no module imports telegram: the checker parses nothing"
    lazy = {m for _, m in imported_modules(ROOT / "bot/engine/__init__.py")} | {
        m for _, m in imported_modules(ROOT / "bot/app.py")
    }
    assert "bot.engine" in lazy  # bot/app.py imports the engine lazily, inside a function


def test_no_module_is_too_long() -> None:
    """Small modules with one job each (DESIGN.md): none over 300 lines outside tests."""
    long = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for p in python_files()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300
    ]
    assert long == []


def test_no_function_is_too_long() -> None:
    """No function over 60 lines outside tests and migrations."""
    long = []
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > 60:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {size}")
    assert long == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_cycles(package: str) -> list[list[str]]:
    """Circles among ``package``'s modules (lazy imports count: a circle hidden in a function is
    still a circle a reader must hold in mind). A package's ``__init__`` re-exports are left out:
    importing ``bot.knowledge.x`` runs them, but they are an index, not a dependency."""
    modules = {_module_name(p): p for p in python_files() if _module_name(p).startswith(package)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        if path.name == "__init__.py":
            continue
        graph[name] = {m for _, m in imported_modules(path) if m in modules and m != name}
        graph[name] -= {m for m in graph[name] if modules[m].name == "__init__.py"}
    cycles, done, stack = [], set(), []

    def visit(name: str) -> None:
        if name in stack:
            cycles.append([*stack[stack.index(name) :], name])
            return
        if name in done:
            return
        stack.append(name)
        for imported in sorted(graph.get(name, ())):
            visit(imported)
        stack.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
    return cycles


def test_knowledge_has_no_import_circle() -> None:
    """Issue 19: embedding, encoders, mpnet and vector_cache imported one another; each part of
    ``bot/knowledge/`` now depends only on parts below it."""
    assert import_cycles("bot.knowledge") == []
