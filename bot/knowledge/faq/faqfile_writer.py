"""Writing FAQ files (YAML, JSON, CSV) for `supportbot faq export` and the console's export.

The counterpart of ``bot.knowledge.faq.faqfile``: whatever is written here reads back as the same
records. CSV refuses what it cannot round-trip (a ``|`` inside a variant, a numeric-looking
text id) instead of writing a file that would import differently.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.faq.faqfile import (
    CSV_LIST_SEPARATOR,
    FIELDS,
    FaqFileError,
    FaqRecord,
    file_format,
)


def write_faq_file(path: Path, records: Sequence[FaqRecord]) -> None:
    """Write ``records`` in the format named by the suffix of ``path`` (replaced atomically)."""
    path = Path(path)
    kind = file_format(path)
    if kind == "yaml":
        text = _yaml_text(records)
    elif kind == "json":
        text = json.dumps({"faq": [_as_mapping(r) for r in records]}, ensure_ascii=False, indent=2)
        text += "\n"
    else:
        text = _csv_text(records)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8", newline="")
    temporary.replace(path)


def _as_mapping(record: FaqRecord) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    if record.id is not None:
        mapping["id"] = record.id
    mapping["question"] = record.question
    mapping["answer"] = record.answer
    if record.variants:
        mapping["variants"] = list(record.variants)
    if record.tags:
        mapping["tags"] = list(record.tags)
    mapping["language"] = record.language
    if not record.enabled:
        mapping["enabled"] = False
    return mapping


class _BlockStyleDumper(yaml.SafeDumper):
    """Writes multi-line answers as ``|`` blocks so exported files stay readable."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and value == value.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockStyleDumper.add_representer(str, _represent_text)


def _yaml_text(records: Sequence[FaqRecord]) -> str:
    document = {"faq": [_as_mapping(record) for record in records]}
    return yaml.dump(
        document, Dumper=_BlockStyleDumper, allow_unicode=True, sort_keys=False, width=100
    )


def _csv_text(records: Sequence[FaqRecord]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for number, record in enumerate(records, start=1):
        for item in (*record.variants, *record.tags):
            if CSV_LIST_SEPARATOR in item:
                raise FaqFileError(
                    f"entry {number}: {item!r} contains {CSV_LIST_SEPARATOR!r}, "
                    "which CSV uses between variants and tags; export as YAML or JSON"
                )
        if isinstance(record.id, str) and record.id.lstrip("-").isdigit():
            raise FaqFileError(f"entry {number}: text id {record.id!r} would read back as a number")
        writer.writerow(
            [
                "" if record.id is None else record.id,
                record.question,
                record.answer,
                f" {CSV_LIST_SEPARATOR} ".join(record.variants),
                f" {CSV_LIST_SEPARATOR} ".join(record.tags),
                record.language,
                "true" if record.enabled else "false",
            ]
        )
    return buffer.getvalue()
