"""``supportbot status [--json]``: one screen on the deployment's state, for people and scripts.

Database revision, FAQ entries per language, model and engine state (asked of the running
instance), the last run of each maintenance job, inbox backlog, outbox pending and open
hand-offs. Reads only; never migrates.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sqlalchemy.engine import make_url

from bot.app import open_engine
from bot.commands.db_cmd import run_storage
from bot.config import Settings, UserFacingError
from bot.observability.status import collect
from storage.db import sqlite_file


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "status", help="database revision, FAQ, engine, maintenance jobs, queues, hand-offs"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=status)


async def read_status(settings: Settings) -> dict[str, Any]:
    database = sqlite_file(make_url(settings.database_url))
    if database is not None and not database.exists():
        raise UserFacingError(
            f"no database at {database} (SUPPORTBOT_DATABASE_URL); "
            "`supportbot run` or `supportbot db upgrade` creates it"
        )
    engine = open_engine(settings)
    try:
        return await collect(settings, engine)
    finally:
        await engine.dispose()


def status(args: argparse.Namespace, settings: Settings) -> int:
    """Print the status; exit 1 when the database is not at the code's revision."""
    report = run_storage(read_status(settings))
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print("\n".join(lines(report)))
    return 0 if report["database"]["at_head"] else 1


def _n(value: object) -> str:
    return "n/a" if value is None else str(value)


def lines(report: dict[str, Any]) -> list[str]:
    """The human-readable form of ``report``."""
    db = report["database"]
    state = "at head" if db["at_head"] else f"behind head {db['head']}: run `supportbot db upgrade`"
    out = [f"database: {db['url']}", f"  revision: {db['revision'] or 'empty'} ({state})"]
    faq = report.get("faq")
    out.append("faq entries:" + ("" if faq else " none" if faq == {} else " n/a"))
    for language, counts in sorted((faq or {}).items()):
        out.append(f"  {language}: {counts['enabled']} enabled, {counts['disabled']} disabled")
    engine = report["engine"]
    out.append(f"model: {engine['model']} ({engine['kind']})")
    if "remote_detail" in engine:
        out.append(f"  remote server: {engine['remote_detail']}")
    if host := engine.get("host"):
        runs = f"{host['weights']} weights ({host['kernel']})"
        out.append(f"  this host: {host['cpu_capability']}, {runs}")
    out.append(f"  running instance: {engine['instance']}")
    if engine.get("engine_state"):
        out.append(f"  engine: {engine['engine_state']}")
    out.append("maintenance jobs:" + ("" if report["jobs"] else " no runs recorded yet"))
    for job in report["jobs"]:
        how = {True: "ok", False: "failed", None: "running"}[job["ok"]]
        out.append(
            f"  {job['job']}: last {job['last_started']} by {job['holder']}, {how} "
            f"({job['runs']} runs)"
        )
    out.append(f"inbox backlog: {_n(report['inbox_backlog'])}")
    out.append(f"outbox pending: {_n(report['outbox_pending'])}")
    out.append(f"open hand-offs: {_n(report['open_handoffs'])}")
    return out
