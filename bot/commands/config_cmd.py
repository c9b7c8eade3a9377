"""``supportbot config``: print the effective configuration, secrets masked."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.config import Settings, settings_table


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
    shown = settings.masked()
    if args.json:
        print(json.dumps(shown, indent=2))
        return 0
    width = max(len(name) for name in shown)
    for name, value in shown.items():
        print(f"{name:<{width}}  {value}")
    return 0
