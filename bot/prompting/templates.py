"""Prompt templates as admins edit them: the file defaults in ``prompts/`` and validation.

An admin's template is rejected before it is saved when it does not parse, uses a variable the
bot never provides (a typo would silently render as nothing), or renders to an empty prompt.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

from bot.prompting.builder import render_system_prompt

TEMPLATE_VARIABLES = frozenset({"business_name", "language", "language_name", "tone"})
_parser = SandboxedEnvironment()


def default_template(prompts_dir: Path, name: str) -> str:
    """The template shipped in ``prompts/<name>.j2``."""
    path = prompts_dir / f"{name}.j2"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LookupError(f"no default template {path}") from None


def validate_template(body: str) -> None:
    """Raise ValueError saying what is wrong with a system prompt template."""
    if not body.strip():
        raise ValueError("the template is empty")
    try:
        unknown = meta.find_undeclared_variables(_parser.parse(body)) - TEMPLATE_VARIABLES
    except TemplateSyntaxError as exc:
        raise ValueError(f"line {exc.lineno}: {exc.message}") from None
    if unknown:
        known = ", ".join(sorted(TEMPLATE_VARIABLES))
        raise ValueError(f"unknown variable(s) {', '.join(sorted(unknown))} (known: {known})")
    try:
        rendered = render_system_prompt(body, business_name="Acme", language="en")
    except Exception as exc:  # a sandbox violation or a runtime error in the template
        raise ValueError(f"cannot render: {exc}") from None
    if not rendered.strip():
        raise ValueError("the template renders to an empty prompt")
