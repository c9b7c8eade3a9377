"""``supportbot config``: print the effective configuration, secrets masked."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.config import ENV_PREFIX, PROJECT_ROOT, Settings


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "config", help="print the effective configuration (secrets masked)"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument(
        "--table", action="store_true", help="print the README's Markdown table of all settings"
    )
    parser.set_defaults(handler=show_config)


def show_config(args: argparse.Namespace, settings: Settings) -> int:
    """Print every setting with the variable that sets it."""
    if args.table:
        print(settings_table())
        return 0
    shown = masked(settings)
    if args.json:
        print(json.dumps(shown, indent=2))
        return 0
    width = max(len(name) for name in shown)
    for name, value in shown.items():
        print(f"{name:<{width}}  {value}")
    return 0


def masked(settings: Settings) -> dict[str, str]:
    """The effective configuration as env-var name -> printable value, secrets masked."""
    shown: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            text = "****" + value.get_secret_value()[-4:] if value.get_secret_value() else ""
        elif value is None:
            text = ""
        elif isinstance(value, list):
            text = ",".join(str(v) for v in value)
        else:
            text = str(value)
        if name == "database_url":
            text = make_url(text).render_as_string(hide_password=True)
        shown[ENV_PREFIX + name.upper()] = text
    return shown


def settings_table() -> str:
    """The configuration table of the README, generated from ``Settings`` so they never drift."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, Path) and default.is_absolute():
            default = (
                default.relative_to(PROJECT_ROOT)
                if default.is_relative_to(PROJECT_ROOT)
                else default
            )
        shown = "" if default in (None, []) else f"`{default}`"
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | {shown} | {field.description or ''} |")
    return "\n".join(rows)
