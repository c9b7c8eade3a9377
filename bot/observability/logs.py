"""Log records as text or as one JSON object per line, with the ids of what is being handled.

Whoever handles a message binds its ids for the duration (``with log_context(chat_id=…,
message_id=…):``); they are contextvars, so concurrent chats on one event loop never see each
other's ids, and every log line written meanwhile carries them. Bot tokens and passwords in URLs
are masked in every line whatever its format (URLs of the Bot API contain the token).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

LOG_IDS = ("chat_id", "message_id", "request_id")
_ids: dict[str, contextvars.ContextVar[Any]] = {
    name: contextvars.ContextVar(name, default=None) for name in LOG_IDS
}
# A Bot API token: bot id, colon, 35 characters of secret.
TOKEN_PATTERN = re.compile(r"(?<!\d)(\d{5,12}):[A-Za-z0-9_-]{30,}")
# A password in a URL: scheme://user:password@host (a database URL in an error message).
URL_PASSWORD_PATTERN = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def new_request_id() -> str:
    """A short id for one unit of work (an HTTP request, a job run)."""
    return uuid.uuid4().hex[:16]


@contextmanager
def log_context(**ids: Any) -> Iterator[None]:
    """Bind chat_id / message_id / request_id for the log lines written inside the block."""
    unknown = set(ids) - set(LOG_IDS)
    if unknown:
        raise TypeError(f"unknown log ids: {', '.join(sorted(unknown))}")
    tokens = [(_ids[name], _ids[name].set(value)) for name, value in ids.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current_ids() -> dict[str, Any]:
    """The ids bound here, without the unset ones."""
    return {name: var.get() for name, var in _ids.items() if var.get() is not None}


def mask_tokens(text: str) -> str:
    """``123456:ABC…`` -> ``123456:****``; ``postgresql://bot:pw@db`` -> ``…bot:****@db``."""
    return URL_PASSWORD_PATTERN.sub(r"\1****@", TOKEN_PATTERN.sub(r"\1:****", text))


class ContextFilter(logging.Filter):
    """Puts the bound ids on every record (for both formats) and masks bot tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current_ids().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ids, and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_tokens(record.getMessage()),
        }
        for name in LOG_IDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = mask_tokens(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, with the ids appended when there are any."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = mask_tokens(super().format(record))
        ids = [f"{n}={getattr(record, n)}" for n in LOG_IDS if getattr(record, n, None)]
        return f"{line} [{' '.join(ids)}]" if ids else line


def make_handler(log_format: str, stream: Any) -> logging.Handler:
    """A stream handler in ``log_format`` (``text`` or ``json``) with the context filter."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    return handler
