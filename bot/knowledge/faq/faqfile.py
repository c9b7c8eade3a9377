"""Reading and writing FAQ files (YAML, JSON, CSV) for `supportbot faq import/export`.

A file is read whole and validated before anything is returned: one malformed entry raises
``FaqFileError`` naming its line (YAML, CSV, JSON syntax) or its 1-based entry number (JSON), so
an import never writes half a file. ``write_faq_file`` picks the format from the suffix, and
``read_faq_file(write_faq_file(records))`` gives the same records back.

Accepted layouts:
- YAML / JSON: a list of entries, or a mapping with a ``faq`` list (the datasets' ``dev.json``
  schema; its other keys such as ``queries`` are ignored).
- CSV: a header row with ``question`` and ``answer`` and optionally ``id``, ``variants``,
  ``tags``, ``language``, ``enabled``; several variants or tags in one cell are separated by
  ``|``.
An entry's ``language`` defaults to the script of its question (see ``detect_language``).
Writing lives in ``bot.knowledge.faq.faqfile_writer``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.entries import FaqDocument, FaqId
from bot.knowledge.text.language import detect_language

FIELDS = ("id", "question", "answer", "variants", "tags", "language", "enabled")
CSV_LIST_SEPARATOR = "|"
SUFFIX_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".csv": "csv"}
_TRUE_WORDS = {"true", "yes", "y", "1", "on", ""}
_FALSE_WORDS = {"false", "no", "n", "0", "off"}


class FaqFileError(ValueError):
    """A FAQ file cannot be read or written; the message starts with "line N:" or "entry N:"."""


@dataclass(frozen=True, slots=True)
class FaqRecord:
    """One FAQ entry as it appears in a file."""

    id: FaqId | None
    question: str
    answer: str
    variants: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    language: str = "en"
    enabled: bool = True

    def to_document(self, fallback_id: FaqId | None = None) -> FaqDocument:
        """The retrieval view of this record (``fallback_id`` when the file gave none)."""
        doc_id = self.id if self.id is not None else fallback_id
        if doc_id is None:
            raise ValueError("a FAQ record needs an id to become a FaqDocument")
        return FaqDocument(
            id=doc_id,
            question=self.question,
            answer=self.answer,
            variants=self.variants,
            tags=self.tags,
            language=self.language,
        )


def file_format(path: Path) -> str:
    """ "yaml", "json" or "csv" from the file suffix; FaqFileError for anything else."""
    try:
        return SUFFIX_FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(SUFFIX_FORMATS))
        raise FaqFileError(f"unknown FAQ file type {path.suffix!r} (use {known})") from None


# --- reading ---------------------------------------------------------------------------------


def read_faq_file(path: Path) -> list[FaqRecord]:
    """All records of a YAML, JSON or CSV FAQ file, or FaqFileError and nothing."""
    path = Path(path)
    kind = file_format(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FaqFileError(f"line 1: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise FaqFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if kind == "yaml":
        records = _read_yaml(text)
    elif kind == "json":
        records = _read_json(text)
    else:
        records = _read_csv(text)
    _check_unique_ids(records)
    return [record for record, _ in records]


def _read_yaml(text: str) -> list[tuple[FaqRecord, str]]:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return []
        entries = _entry_nodes(root)
        out: list[tuple[FaqRecord, str]] = []
        for number, node in enumerate(entries, start=1):
            where = f"line {node.start_mark.line + 1}: entry {number}"
            value = loader.construct_object(node, deep=True)
            out.append((_record_from_mapping(value, where), where))
        return out
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise FaqFileError(f"line {line}: invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise FaqFileError(f"line 1: invalid YAML: {exc}") from None
    finally:
        loader.dispose()


def _entry_nodes(root: yaml.Node) -> list[yaml.Node]:
    where = f"line {root.start_mark.line + 1}"
    if isinstance(root, yaml.MappingNode):
        for key_node, value_node in root.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "faq":
                root = value_node
                where = f"line {value_node.start_mark.line + 1}"
                break
        else:
            raise FaqFileError(f"{where}: expected a list of entries or a mapping with 'faq'")
    if isinstance(root, yaml.ScalarNode) and root.tag.endswith(":null"):
        return []
    if not isinstance(root, yaml.SequenceNode):
        raise FaqFileError(f"{where}: expected a list of FAQ entries")
    return list(root.value)


def _read_json(text: str) -> list[tuple[FaqRecord, str]]:
    try:
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as exc:
        raise FaqFileError(f"line {exc.lineno}: invalid JSON: {exc.msg}") from None
    if isinstance(data, Mapping):
        if "faq" not in data:
            raise FaqFileError("entry 0: expected a list of entries or an object with 'faq'")
        data = data["faq"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise FaqFileError("entry 0: 'faq' must be a list of entries")
    out = []
    for number, value in enumerate(data, start=1):
        where = f"entry {number}"
        out.append((_record_from_mapping(value, where), where))
    return out


def _read_csv(text: str) -> list[tuple[FaqRecord, str]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return []
        columns = [name.strip().lower() for name in header]
        unknown = [name for name in columns if name not in FIELDS]
        if unknown:
            raise FaqFileError(
                f"line 1: unknown column {unknown[0]!r} (columns: {', '.join(FIELDS)})"
            )
        missing = [name for name in ("question", "answer") if name not in columns]
        if missing:
            raise FaqFileError(f"line 1: missing column {missing[0]!r}")
        if len(set(columns)) != len(columns):
            raise FaqFileError("line 1: a column appears twice")
        out: list[tuple[FaqRecord, str]] = []
        while True:
            start_line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in row):
                continue
            where = f"line {start_line}"
            if len(row) != len(columns):
                raise FaqFileError(f"{where}: expected {len(columns)} cells, found {len(row)}")
            cells = dict(zip(columns, row, strict=True))
            value: dict[str, Any] = {
                "question": cells["question"],
                "answer": cells["answer"],
                "id": _csv_id(cells.get("id", "")),
                "variants": _split_cell(cells.get("variants", "")),
                "tags": _split_cell(cells.get("tags", "")),
                "enabled": _csv_bool(cells.get("enabled", ""), where),
            }
            if cells.get("language", "").strip():
                value["language"] = cells["language"]
            out.append((_record_from_mapping(value, where), where))
        return out
    except csv.Error as exc:
        raise FaqFileError(f"line {reader.line_num}: invalid CSV: {exc}") from None


def _csv_id(cell: str) -> FaqId | None:
    cell = cell.strip()
    if not cell:
        return None
    if cell.lstrip("-").isdigit():
        return int(cell)
    return cell


def _csv_bool(cell: str, where: str) -> bool:
    word = cell.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise FaqFileError(f"{where}: enabled must be true or false, not {cell!r}")


def _split_cell(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(CSV_LIST_SEPARATOR) if part.strip()]


def _record_from_mapping(value: object, where: str) -> FaqRecord:
    if not isinstance(value, Mapping):
        raise FaqFileError(f"{where}: expected a mapping with question and answer")
    unknown = [key for key in value if key not in FIELDS]
    if unknown:
        raise FaqFileError(f"{where}: unknown field {unknown[0]!r}")
    question = _text(value.get("question"), "question", where)
    answer = _text(value.get("answer"), "answer", where)
    raw_id = value.get("id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, int | str)):
        raise FaqFileError(f"{where}: id must be a number or a string")
    if isinstance(raw_id, str):
        raw_id = raw_id.strip()
        if not raw_id:
            raise FaqFileError(f"{where}: id is empty")
    language = value.get("language")
    if language is None:
        language = detect_language(question)
    elif not isinstance(language, str) or not language.strip():
        raise FaqFileError(f"{where}: language must be a code such as en or zh")
    enabled = value.get("enabled", True)
    if not isinstance(enabled, bool):
        raise FaqFileError(f"{where}: enabled must be true or false")
    return FaqRecord(
        id=raw_id,
        question=question,
        answer=answer,
        variants=_text_list(value.get("variants"), "variants", where),
        tags=_text_list(value.get("tags"), "tags", where),
        language=language.strip().lower(),
        enabled=enabled,
    )


def _text(value: object, name: str, where: str) -> str:
    if value is None:
        raise FaqFileError(f"{where}: missing {name}")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FaqFileError(f"{where}: {name} must be text")
    text = str(value).strip()
    if not text:
        raise FaqFileError(f"{where}: {name} is empty")
    return text


def _text_list(value: object, name: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items: Iterable[object] = [value] if isinstance(value, str) else value  # type: ignore[assignment]
    if not isinstance(items, list | tuple):
        raise FaqFileError(f"{where}: {name} must be a list of texts")
    out: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise FaqFileError(f"{where}: {name} must be a list of texts")
        text = str(item).strip()
        if text and text not in out:
            out.append(text)
    return tuple(out)


def _check_unique_ids(records: Sequence[tuple[FaqRecord, str]]) -> None:
    seen: dict[FaqId, str] = {}
    for record, where in records:
        if record.id is None:
            continue
        if record.id in seen:
            raise FaqFileError(f"{where}: duplicate id {record.id!r} (first at {seen[record.id]})")
        seen[record.id] = where
