"""Text search over messages for the console's conversation list, through the full-text index
of migration 0009 (SQLite FTS5, PostgreSQL ``tsvector``).

A search matches the messages that hold every word of it, each word matched from the start of
a word in the message ("refund" finds "refunds", "fund" does not find "refund"), whatever the
case. Both databases split words the same simple way (letters and digits; no stemming, no stop
words). Chinese, Japanese and Korean write words without spaces, which neither index splits,
so a search holding such characters, or no word at all, falls back to a scan: every
space-separated part found anywhere in the text (``LIKE``), the way the console searched before.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Select, and_, column, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import TextualSelect

from storage.models import ChatSession, Message

WORD = re.compile(r"[^\W_]+")
UNSPACED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
MAX_WORDS = 8
FTS5_MATCHES = text(
    "SELECT rowid FROM messages_fts WHERE messages_fts MATCH :query ORDER BY rowid DESC LIMIT :n"
).columns(column("rowid"))


def search_words(query: str) -> list[str]:
    """The words a search looks for (lowercased, each once, at most ``MAX_WORDS``)."""
    return list(dict.fromkeys(word.lower() for word in WORD.findall(query)))[:MAX_WORDS]


def uses_index(query: str) -> bool:
    """Whether ``query`` is answered by the word index (else by a scan)."""
    return bool(search_words(query)) and not UNSPACED_SCRIPT.search(query)


def matching_users(query: str, *, dialect: str, limit: int) -> Select[tuple[int]]:
    """A subquery of the customers (user ids) with one of the ``limit`` newest messages
    matching ``query``; ``dialect`` is the database's (``sqlite``, ``postgresql``)."""
    # The newest matches are cut to ``limit`` before any join: a common word matches a third
    # of all messages, and joining those to their sessions first cost PostgreSQL ~70 ms.
    newest = select(Message.session_id).order_by(Message.id.desc()).limit(limit)
    if uses_index(query) and dialect == "sqlite":
        newest = newest.where(Message.id.in_(_fts5_matches(query, limit)))
    elif uses_index(query) and dialect == "postgresql":
        newest = newest.where(_tsvector_match(query))
    else:
        newest = newest.where(_scan(query, dialect))
    sessions = newest.subquery()
    return select(ChatSession.user_id).where(ChatSession.id.in_(select(sessions.c.session_id)))


async def users_who_wrote(*, session: AsyncSession, query: str, limit: int) -> list[int]:
    """The users of ``matching_users``."""
    dialect = session.get_bind().dialect.name
    return list(
        dict.fromkeys(await session.scalars(matching_users(query, dialect=dialect, limit=limit)))
    )


def _fts5_matches(query: str, limit: int) -> TextualSelect:
    # Straight from the index in rowid order, newest first (FTS5 stops after ``limit``).
    terms = " ".join(f'"{word}"*' for word in search_words(query))
    return FTS5_MATCHES.bindparams(query=terms, n=limit)


def _tsvector_match(query: str) -> ColumnElement[bool]:
    # The same expression as the index of migration 0009, or PostgreSQL would not use it.
    document = func.to_tsvector(literal_column("'simple'"), func.coalesce(Message.text, ""))
    terms = " & ".join(f"'{word}':*" for word in search_words(query))
    return document.bool_op("@@")(func.to_tsquery(literal_column("'simple'"), terms))


def _scan(query: str, dialect: str) -> ColumnElement[bool]:
    parts = query.split()[:MAX_WORDS] or [query]
    return and_(*(_contains(part, dialect) for part in parts))


def _contains(part: str, dialect: str) -> ColumnElement[bool]:
    # SQLite's LIKE ignores ASCII case by itself (and its lower() folds no more); a part
    # without letter case (Chinese) needs no case folding either: both skip lower() on
    # every row, which cost as much as the scan.
    if dialect == "sqlite" or part.lower() == part.upper():
        return Message.text.contains(part, autoescape=True)
    return Message.text.icontains(part, autoescape=True)
